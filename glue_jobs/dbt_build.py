"""Glue job: ``dbt build`` on Athena (dbt-athena) for the day workflows: silver and the audited gold
build (``gold_build``); dbt's tests gate the publication step that follows.

Why a Glue job and not an ECS task: dbt needs a driver process, not a cluster, and a Glue 5.0 job is
one with nothing else to run: no container image to build and push, no cluster, task definition or
network to keep; the project wheel and dbt-athena install through ``--additional-python-modules``
like every other job's dependencies; Step Functions waits on it with the same ``glue:startJobRun.sync``
integration, and its logs, alarms and IAM follow the other jobs'. The cost is a minute of start-up
and two minimum workers that stay idle.

Arguments: ``--lake_uri s3://BUCKET``, ``--day``, ``--select`` (dbt node selection), and
``--athena_workgroup`` (the pipeline workgroup, whose enforced result location keeps query results
out of the lake). Exits non-zero when a model or test failed.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from glue_jobs.options import job_settings, resolve_options
from ingestion.client_health.pseudonym import dbt_secret_environment
from ingestion.settings import Settings
from orchestration.dbt_runner import DbtSummary, run_dbt

OPTIONS = ("lake_uri", "day", "select", "athena_workgroup")


def run_job(options: dict[str, str], settings: Settings) -> DbtSummary:
    if not options["lake_uri"].startswith("s3://") or not settings.bucket:
        raise ValueError(f"--lake_uri {options['lake_uri']}: this job builds on Athena; pass s3://BUCKET")
    with tempfile.TemporaryDirectory(prefix="dbt-") as work:
        return run_dbt(
            ["build", "--select", options["select"]],
            Path(work),
            target="aws",
            extra_env={
                "LAKEHOUSE_BUCKET": settings.bucket,
                "LAKEHOUSE_REGION": settings.region,
                "LAKEHOUSE_ATHENA_WORKGROUP": options["athena_workgroup"],
                **dbt_secret_environment(settings),
            },
        )


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    summary = run_job(resolve_options(argv, OPTIONS), job_settings(argv))
    for failure in summary.failures:
        logging.error("dbt: %s", failure)
    if not summary.success:
        sys.exit(1)


if __name__ == "__main__":
    main()
