"""The local stand-in for the Glue service: job names mapped to the same job scripts, run on local Spark."""

from __future__ import annotations

from functools import lru_cache

from glue_jobs import client_health_to_bronze, partner_csv_to_bronze
from glue_jobs.options import job_spark_session
from ingestion.jobs import LocalJobLauncher
from ingestion.settings import Settings


@lru_cache(maxsize=1)
def local_job_launcher() -> LocalJobLauncher:
    settings = Settings()
    return LocalJobLauncher(
        {
            settings.glue_job_partner_csv: lambda options: partner_csv_to_bronze.run_job(
                job_spark_session(), options
            ),
            settings.glue_job_client_health: lambda options: client_health_to_bronze.run_job(
                job_spark_session(), options
            ),
        }
    )
