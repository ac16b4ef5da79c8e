"""EventBridge schedule (e.g. ``daily-run``, 23:00 America/Sao_Paulo) -> the day's workflow, started once.

The input is ``{"job": "<workflow>", "time": "<aws.scheduler.scheduled-time>"}``, with ``day`` for a
manual rerun; the body is ``jobs.day_workflow``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools import Logger

from jobs.day_workflow import start_day_workflow
from lambdas.entry import backend_of

logger = Logger(service="start-day-workflow")


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    day = event.get("day")
    summary = start_day_workflow(
        backend_of(context), str(event["job"]), event.get("time"), dt.datetime.now(tz=dt.UTC), str(day) if day else None
    )
    logger.info("day workflow started", extra=summary)
    return summary
