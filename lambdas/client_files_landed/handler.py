"""S3 ObjectCreated on ``landing/client_health/<day>/clientes.<format>`` -> check -> day gate -> the day's job."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from ingestion.client_health.landing import handle_arrival
from ingestion.gate import day_gate
from lambdas import runtime

logger = Logger(service="client-files-landed")


@event_source(data_class=S3Event)
def handler(event: S3Event, context: Any) -> list[dict[str, str]]:
    config = runtime.settings()
    outcomes = []
    for record in event.records:
        bucket = record.s3.bucket.name
        outcome = handle_arrival(
            runtime.object_store(config, bucket),
            day_gate(config, bucket),
            runtime.job_launcher(config),
            lake_uri=runtime.lake_uri(config, bucket),
            job_name=config.glue_job_client_health,
            key=unquote_plus(record.s3.get_object.key),  # S3 notifications URL-encode keys
            size=record.s3.get_object.size or 0,
            etag=record.s3.get_object.etag,
            event_time=record.event_time,
        )
        summary = {"key": outcome.key, "action": outcome.action, "detail": outcome.detail}
        logger.info("client file handled", extra=summary)
        outcomes.append(summary)
    return outcomes
