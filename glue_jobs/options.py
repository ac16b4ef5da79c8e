"""Job arguments: ``getResolvedOptions`` on Glue, argparse with the same ``--name value`` form locally."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pyspark.sql import SparkSession

from core.settings import Settings
from ingestion.spark import local_spark_session


def resolve_options(argv: Sequence[str] | None, names: Sequence[str]) -> dict[str, str]:
    arguments = list(sys.argv if argv is None else argv)
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        parser = argparse.ArgumentParser()
        for name in names:
            parser.add_argument(f"--{name}", required=True)
        parsed, _unknown = parser.parse_known_args(arguments[1:])
        return {name: str(getattr(parsed, name)) for name in names}
    resolved: dict[str, str] = getResolvedOptions(arguments, list(names))
    return resolved


def job_settings(argv: Sequence[str] | None = None) -> Settings:
    """Settings of a job run, built once at the entry point. Glue passes no environment: the template
    gives the region and the secret ids as ``--<Settings field> value`` arguments (``--lake_uri``, the
    lake, is read by ``core.backend.backend_for_lake_uri``)."""
    arguments = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for name in Settings.model_fields:
        parser.add_argument(f"--{name}")
    parsed, _unknown = parser.parse_known_args(arguments[1:])
    given = {name: value for name, value in vars(parsed).items() if value is not None}
    return Settings(**given)


def job_spark_session() -> SparkSession:
    try:
        from awsglue.context import GlueContext
        from pyspark.context import SparkContext
    except ImportError:  # not on Glue: the same PySpark on the local machine
        settings = Settings()
        return local_spark_session(settings.spark_master, settings.spark_driver_memory)
    session: SparkSession = GlueContext(SparkContext.getOrCreate()).spark_session
    return session
