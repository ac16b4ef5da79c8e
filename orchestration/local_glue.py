"""The local stand-in for the Glue service: job names mapped to the same job scripts (Spark ones on local Spark)."""

from __future__ import annotations

from functools import lru_cache

from glue_jobs import client_health_to_bronze, partner_csv_to_bronze, positional_day
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
            # Started by the day gate with {"day": D}; the lake is the one in the settings at that moment.
            settings.glue_job_positional: positional_day.run_job,
        }
    )
