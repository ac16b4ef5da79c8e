"""The local stand-in for S3 notifications -> Lambda: S3-shaped events handed to the same handlers.

The routes are the source registry's landing patterns and handlers. The handler gets the run's Backend
in its context (``lakehouse_backend``, see ``lambdas/entry.py``), so the local settings reach it without
writing the process environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core import registry
from core.backend import Backend
from core.storage import ObjectStore
from orchestration.events import object_created_event

LOCAL_BUCKET = "lakehouse-local"
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class LocalLambdaContext:
    function_name: str
    lakehouse_backend: Backend | None = None  # lambdas.entry.CONTEXT_ATTRIBUTE
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:local"
    aws_request_id: str = "local"


def routes() -> list[tuple[re.Pattern[str], str, Handler]]:
    """(landing key pattern, function name, handler) of every registry source a file event starts."""
    return [
        (re.compile(source.landing_pattern), source.function_name, source.load_handler())
        for source in registry.SOURCES
        if source.landing_pattern and source.function_name and source.handler
    ]


def event_time_of(store: ObjectStore, key: str) -> str:
    """The S3 event's ``eventTime`` for ``key``: when the store says the object was written."""
    return store.modified_at(key).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bucket_of(backend: Backend) -> str:
    """The bucket an S3 event names: the lake's bucket, or a fixed name for the lake folder."""
    uri = backend.layout.uri
    return uri.removeprefix("s3://").strip("/") if uri.startswith("s3://") else LOCAL_BUCKET


def dispatch_object_created(backend: Backend, key: str) -> Any:
    """Builds the event S3 would send for ``key`` and invokes the handler whose route matches it."""
    store = backend.store
    for pattern, function_name, handler in routes():
        if pattern.match(key):
            info = store.head(key)
            event = object_created_event(bucket_of(backend), key, info.size, info.etag, event_time_of(store, key))
            return handler(event, LocalLambdaContext(function_name, backend))
    return None
