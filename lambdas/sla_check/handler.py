"""EventBridge schedule ``positional-sla-check`` (12:00 America/Sao_Paulo) -> the positional SLA check.

The day is the Sao Paulo date of the scheduled time (``time`` of the event; the Scheduler target's input
is ``{"time": "<aws.scheduler.scheduled-time>"}``). A miss prints the EMF alert on stdout, which
CloudWatch Logs turns into the ``Lakehouse/SlaMissed`` metric; the function itself succeeds, so the
schedule does not retry and alert twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from jobs.sla_check import run_sla_check, scheduled_day
from lambdas.entry import backend_of

logger = Logger(service="sla-check")


@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    now = dt.datetime.now(tz=dt.UTC)
    result = run_sla_check(backend_of(context), scheduled_day(event.get("time"), now), now=now)
    summary = result.as_dict()
    logger.info("positional SLA checked", extra={key: summary[key] for key in ("day", "status", "reason")})
    return summary
