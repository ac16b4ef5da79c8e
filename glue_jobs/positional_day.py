"""Glue job: the positional day job (dbt build of gold.contract_plans, publication, job record).

Arguments: ``--day`` (YYYY-MM-DD) and ``--lake_uri`` (a default argument of the job: on AWS the
template's DefaultArguments, so the day workflow passes ``--day`` only; locally the launcher's). Exits
non-zero when the job failed, so the run shows as failed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from core.backend import backend_for_lake_uri
from core.settings import Settings
from glue_jobs.options import job_settings, resolve_options
from jobs.job_record import SUCCEEDED
from jobs.positional_day import run_positional_day

OPTIONS = ("day", "lake_uri")


def run_job(options: dict[str, str], settings: Settings | None = None) -> dict[str, Any]:
    backend = backend_for_lake_uri(settings or Settings(), options.get("lake_uri"))
    return run_positional_day(backend, options["day"])


def main(argv: Sequence[str] | None = None) -> None:
    record = run_job(resolve_options(argv, OPTIONS), job_settings(argv))
    if record["status"] != SUCCEEDED:
        sys.exit(1)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    main()
