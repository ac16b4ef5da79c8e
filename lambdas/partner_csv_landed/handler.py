"""S3 ObjectCreated on ``landing/sftp/<partner>/<day>/<name>.csv`` -> validate -> start the CSV Glue job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from jobs.landed import handle_s3_event, partner_csv_landed
from lambdas.entry import backends_of

logger = Logger(service="partner-csv-landed")


@event_source(data_class=S3Event)
def handler(event: S3Event, context: Any) -> list[dict[str, Any]]:
    return handle_s3_event(event, backends_of(context), partner_csv_landed, logger, "partner upload handled")
