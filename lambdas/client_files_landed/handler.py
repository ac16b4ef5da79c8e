"""S3 ObjectCreated on ``landing/client_health/<day>/clientes.<format>`` -> check -> day gate -> the day's job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from jobs.landed import client_file_landed, handle_s3_event
from lambdas.entry import backends_of

logger = Logger(service="client-files-landed")


@event_source(data_class=S3Event)
def handler(event: S3Event, context: Any) -> list[dict[str, Any]]:
    return handle_s3_event(event, backends_of(context), client_file_landed, logger, "client file handled")
