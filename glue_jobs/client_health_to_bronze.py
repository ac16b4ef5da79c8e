"""Glue job: the day's three client files -> bronze Parquet per format + rejected rows + one manifest per file.

Every landed row carries the client's id (HMAC-SHA256 of the CPF with the pseudonym key, as a UUID) and
the key's version. The key is read here and only here: from Secrets Manager on AWS (the template passes
``--pseudonym_key_secret_id``), from the environment or the local key file on one machine. A job that
cannot read the key fails before it reads a file, so no bronze row ever lands without its id.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pyspark.sql import SparkSession

from core.backend import backend_for_lake_uri
from core.storage import store_for_uri
from glue_jobs.options import job_settings, job_spark_session, resolve_options
from ingestion.client_health.bronze import land_day
from ingestion.client_health.contract import FORMATS, bronze_tables
from ingestion.client_health.pseudonym import PseudonymKey, pseudonym_key
from ingestion.glue_registration import register_written_bronze
from ingestion.manifest import FileManifest

OPTIONS = ("lake_uri", "day", "ingested_at")


def run_job(spark: SparkSession, options: dict[str, str], key: PseudonymKey) -> list[FileManifest]:
    # ``formats`` (optional, comma-separated): the good files of a day whose gate is still incomplete.
    formats = options["formats"].split(",") if options.get("formats") else FORMATS
    store = store_for_uri(options["lake_uri"])
    manifests = land_day(spark, store, options["day"], options["ingested_at"], key, formats)
    register_written_bronze(store, bronze_tables())
    return manifests


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv if argv is None else argv)
    options = resolve_options(arguments, OPTIONS)
    if "--formats" in arguments:  # optional: Glue resolves only the names asked for
        options.update(resolve_options(arguments, ("formats",)))
    settings = backend_for_lake_uri(job_settings(arguments), options["lake_uri"]).settings
    key = pseudonym_key(settings)
    run_job(job_spark_session(), options, key)


if __name__ == "__main__":
    main()
