"""S3 ObjectCreated on ``landing/positional/<day>/<file>`` -> Parquet in bronze -> day gate -> the day's job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from jobs.landed import handle_s3_event, positional_file_landed
from lambdas.entry import backends_of

logger = Logger(service="positional-to-parquet")


@event_source(data_class=S3Event)
def handler(event: S3Event, context: Any) -> list[dict[str, Any]]:
    return handle_s3_event(event, backends_of(context), positional_file_landed, logger, "positional file handled")
