"""Glue job: the day's three client files -> bronze Parquet per format + rejected rows + one manifest per file."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import SparkSession

from core.storage import store_for_uri
from glue_jobs.options import job_spark_session, resolve_options
from ingestion.client_health.bronze import land_day
from ingestion.client_health.contract import bronze_tables
from ingestion.glue_registration import register_written_bronze
from ingestion.manifest import FileManifest

OPTIONS = ("lake_uri", "day", "ingested_at")


def run_job(spark: SparkSession, options: dict[str, str]) -> list[FileManifest]:
    store = store_for_uri(options["lake_uri"])
    manifests = land_day(spark, store, options["day"], options["ingested_at"])
    register_written_bronze(store, bronze_tables())
    return manifests


def main(argv: Sequence[str] | None = None) -> None:
    run_job(job_spark_session(), resolve_options(argv, OPTIONS))


if __name__ == "__main__":
    main()
