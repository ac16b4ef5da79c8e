"""What the three S3-triggered handlers do: one record loop, one body per source.

``handle_s3_event`` is the loop every ``ObjectCreated`` handler shares: per record, the lake of the
record's bucket (``backend_for``), the decoded key, the handler's body, a structured log line, and the list of outcomes
the Lambda returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event

from core.backend import Backend
from ingestion.client_health.landing import handle_arrival
from ingestion.partner_csv.landing import handle_upload
from ingestion.positional.service import PositionalServices, handle_landed_file


@dataclass(frozen=True)
class LandedObject:
    bucket: str
    key: str  # decoded: S3 notifications URL-encode keys
    size: int
    etag: str
    event_time: str


RecordBody = Callable[[Backend, LandedObject], dict[str, Any]]


def handle_s3_event(
    event: S3Event, backend_for: Callable[[str], Backend], body: RecordBody, logger: Logger, message: str
) -> list[dict[str, Any]]:
    outcomes = []
    for record in event.records:
        landed = LandedObject(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.get_object.key),
            size=record.s3.get_object.size or 0,
            etag=record.s3.get_object.etag,
            event_time=record.event_time,
        )
        summary = body(backend_for(landed.bucket), landed)
        logger.info(message, extra=summary)
        outcomes.append(summary)
    return outcomes


class _LandingArguments(TypedDict):
    """What a landing handler of ``ingestion`` is told about the object and the job it may start."""

    lake_uri: str
    job_name: str
    key: str
    size: int
    etag: str
    event_time: str


def _object_arguments(backend: Backend, landed: LandedObject, job_name: str) -> _LandingArguments:
    return _LandingArguments(
        lake_uri=backend.layout.uri,
        job_name=job_name,
        key=landed.key,
        size=landed.size,
        etag=landed.etag,
        event_time=landed.event_time,
    )


class _ActionOutcome(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def action(self) -> str: ...

    @property
    def detail(self) -> str: ...


def _action_summary(outcome: _ActionOutcome) -> dict[str, Any]:
    return {"key": outcome.key, "action": outcome.action, "detail": outcome.detail}


def partner_csv_landed(backend: Backend, landed: LandedObject) -> dict[str, Any]:
    arguments = _object_arguments(backend, landed, backend.settings.glue_job_partner_csv)
    return _action_summary(handle_upload(backend.store, backend.launcher, **arguments))


def client_file_landed(backend: Backend, landed: LandedObject) -> dict[str, Any]:
    arguments = _object_arguments(backend, landed, backend.settings.glue_job_client_health)
    return _action_summary(handle_arrival(backend.store, backend.gate, backend.launcher, **arguments))


def positional_file_landed(backend: Backend, landed: LandedObject) -> dict[str, Any]:
    services = PositionalServices(
        store=backend.store,
        gate=backend.gate,
        launcher=backend.launcher,
        job_name=backend.settings.glue_job_positional,
    )
    outcome = handle_landed_file(services, landed.key)
    manifest = outcome.manifest
    return {
        "key": manifest.key,
        "layout": outcome.layout,
        "status": manifest.status,
        "rows_read": manifest.rows_read,
        "rows_landed": manifest.rows_landed,
        "rows_quarantined": manifest.rows_quarantined,
        "reason": manifest.reason,
        "job_run_id": outcome.run_id,
    }
