"""EventBridge schedule (e.g. ``daily-run``, 23:00 America/Sao_Paulo) -> the day's workflow, started once.

The input is ``{"job": "<workflow>", "time": "<aws.scheduler.scheduled-time>"}``; the day is the Sao
Paulo date of the scheduled time, or ``day`` when given (a manual rerun). The execution is named by the
workflow and the day, so a schedule delivered twice starts one execution.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools import Logger

from ingestion.calendar import today_in_sao_paulo
from lambdas import runtime

logger = Logger(service="start-day-workflow")


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    job = str(event["job"])
    scheduled = event.get("time")
    day = event.get("day") or today_in_sao_paulo(
        dt.datetime.fromisoformat(scheduled) if scheduled else dt.datetime.now(tz=dt.UTC)
    ).isoformat()
    run_id = runtime.job_launcher(runtime.settings()).start_job_run(job, {"--day": str(day)})
    summary = {"job": job, "day": str(day), "run_id": run_id}
    logger.info("day workflow started", extra=summary)
    return summary
