"""Glue job: ``dbt build`` on Athena (dbt-athena) for the day workflows: silver and the audited gold
build (``gold_build``); dbt's tests gate the publication step that follows. The body is
``jobs.dbt.build_on_athena``.

Why a Glue job and not an ECS task: dbt needs a driver process, not a cluster, and a Glue 5.0 job is
one with nothing else to run: no container image to build and push, no cluster, task definition or
network to keep; the project wheel and dbt-athena install through ``--additional-python-modules``
like every other job's dependencies; Step Functions waits on it with the same ``glue:startJobRun.sync``
integration, and its logs, alarms and IAM follow the other jobs'. The cost is a minute of start-up
and two minimum workers that stay idle.

Arguments: ``--lake_uri s3://BUCKET``, ``--day``, ``--select`` (dbt node selection), and
``--athena_workgroup`` (the pipeline workgroup). Exits non-zero when a model or test failed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from core.backend import backend_for_lake_uri
from glue_jobs.options import job_settings, resolve_options
from jobs.dbt import build_on_athena
from jobs.publication import record_built_gold

OPTIONS = ("lake_uri", "day", "select", "athena_workgroup")


def main(argv: Sequence[str] | None = None) -> None:
    options = resolve_options(argv, OPTIONS)
    backend = backend_for_lake_uri(job_settings(argv), options["lake_uri"])
    summary = build_on_athena(backend.settings, options["select"], options["athena_workgroup"], options["day"])
    record_built_gold(backend.store, options["day"], summary.gold_models)  # the next step publishes these
    for failure in summary.failures:
        logging.error("dbt: %s", failure)
    if not summary.success:
        sys.exit(1)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    main()
