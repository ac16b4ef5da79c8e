"""Glue job: the positional day job (dbt build of gold.contract_plans, publication, job record).

Arguments: ``--day`` (YYYY-MM-DD) and ``--lake_uri`` (on AWS a default argument of the job, so the
day workflow passes ``--day`` only). Exits non-zero when the job failed, so the run shows as failed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glue_jobs.options import job_settings, resolve_options
from ingestion.settings import Settings
from orchestration.job_record import SUCCEEDED
from orchestration.positional_day import run_positional_day

OPTIONS = ("day", "lake_uri")


def run_job(options: dict[str, str], settings: Settings | None = None) -> dict[str, Any]:
    config = settings or Settings()
    lake_uri = options.get("lake_uri")
    if lake_uri and lake_uri.startswith("s3://"):
        raise ValueError(
            f"--lake_uri {lake_uri}: the positional day job builds and publishes through the embedded"
            " DuckDB catalog; pass the lake folder"
        )
    return run_positional_day(config.for_lake(Path(lake_uri) if lake_uri else None), options["day"])


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    record = run_job(resolve_options(argv, OPTIONS), job_settings(argv))
    if record["status"] != SUCCEEDED:
        sys.exit(1)


if __name__ == "__main__":
    main()
