"""Glue job: the day's three client files -> bronze Parquet per format + rejected rows + one manifest per file."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pyspark.sql import SparkSession

from core.storage import store_for_uri
from glue_jobs.options import job_spark_session, resolve_options
from ingestion.client_health.bronze import land_day
from ingestion.client_health.contract import FORMATS, bronze_tables
from ingestion.glue_registration import register_written_bronze
from ingestion.manifest import FileManifest

OPTIONS = ("lake_uri", "day", "ingested_at")


def run_job(spark: SparkSession, options: dict[str, str]) -> list[FileManifest]:
    # ``formats`` (optional, comma-separated): the good files of a day whose gate is still incomplete.
    formats = options["formats"].split(",") if options.get("formats") else FORMATS
    store = store_for_uri(options["lake_uri"])
    manifests = land_day(spark, store, options["day"], options["ingested_at"], formats)
    register_written_bronze(store, bronze_tables())
    return manifests


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv if argv is None else argv)
    options = resolve_options(arguments, OPTIONS)
    if "--formats" in arguments:  # optional: Glue resolves only the names asked for
        options.update(resolve_options(arguments, ("formats",)))
    run_job(job_spark_session(), options)


if __name__ == "__main__":
    main()
