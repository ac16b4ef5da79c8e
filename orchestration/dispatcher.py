"""The local stand-in for S3 notifications -> Lambda: S3-shaped events handed to the same handlers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingestion.storage import LocalObjectStore
from orchestration.events import object_created_event

LOCAL_BUCKET = "lakehouse-local"
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class LocalLambdaContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:local"
    aws_request_id: str = "local"


def _routes() -> list[tuple[re.Pattern[str], str, Handler]]:
    from lambdas.client_files_landed.handler import handler as client_files_landed
    from lambdas.partner_csv_landed.handler import handler as partner_csv_landed
    from lambdas.positional_to_parquet.handler import handler as positional_to_parquet

    return [
        (
            re.compile(r"^landing/sftp/[^/]+/\d{4}-\d{2}-\d{2}/[^/]+$"),
            "partner-csv-landed",
            partner_csv_landed,
        ),
        (
            re.compile(r"^landing/positional/\d{4}-\d{2}-\d{2}/[^/]+$"),
            "positional-to-parquet",
            positional_to_parquet,
        ),
        (
            re.compile(r"^landing/client_health/\d{4}-\d{2}-\d{2}/[^/]+$"),
            "client-files-landed",
            client_files_landed,
        ),
    ]


def event_time_of(store: LocalObjectStore, key: str) -> str:
    modified = dt.datetime.fromtimestamp(store.path(key).stat().st_mtime, tz=dt.UTC)
    return modified.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dispatch_object_created(store: LocalObjectStore, key: str) -> Any:
    """Builds the event S3 would send for ``key`` and invokes the handler whose route matches it."""
    for pattern, function_name, handler in _routes():
        if pattern.match(key):
            info = store.head(key)
            event = object_created_event(LOCAL_BUCKET, key, info.size, info.etag, event_time_of(store, key))
            return handler(event, LocalLambdaContext(function_name))
    return None
