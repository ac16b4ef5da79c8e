"""S3 ObjectCreated on ``landing/positional/<day>/<file>`` -> Parquet in bronze -> day gate -> the day's job."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from ingestion.gate import day_gate
from ingestion.positional.service import PositionalServices, handle_landed_file
from lambdas import runtime

logger = Logger(service="positional-to-parquet")


@event_source(data_class=S3Event)
def handler(event: S3Event, context: Any) -> list[dict[str, Any]]:
    config = runtime.settings()
    outcomes = []
    for record in event.records:
        bucket = record.s3.bucket.name
        services = PositionalServices(
            store=runtime.object_store(config, bucket),
            gate=day_gate(config, bucket),
            launcher=runtime.job_launcher(config),
            job_name=config.glue_job_positional,
        )
        outcome = handle_landed_file(services, unquote_plus(record.s3.get_object.key))  # S3 URL-encodes keys
        manifest = outcome.manifest
        summary = {
            "key": manifest.key,
            "layout": outcome.layout,
            "status": manifest.status,
            "rows_read": manifest.rows_read,
            "rows_landed": manifest.rows_landed,
            "rows_quarantined": manifest.rows_quarantined,
            "reason": manifest.reason,
            "job_run_id": outcome.run_id,
        }
        logger.info("positional file handled", extra=summary)
        outcomes.append(summary)
    return outcomes
