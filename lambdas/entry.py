"""The one thing every handler does first: get its Backend.

On AWS a handler builds its Settings from the function's environment once per invocation (an S3
record's bucket names the lake). Locally the dispatcher (``orchestration.dispatcher``) calls the very
same handler with a context that carries the run's Backend as ``lakehouse_backend``, so the local
settings reach the handler without touching the process environment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.backend import Backend, build_backend
from core.settings import Settings

CONTEXT_ATTRIBUTE = "lakehouse_backend"


def backends_of(context: Any) -> Callable[[str | None], Backend]:
    """bucket named by an event record -> the Backend of that lake."""
    injected: Backend | None = getattr(context, CONTEXT_ATTRIBUTE, None)
    if injected is not None:
        return injected.for_bucket
    settings = Settings()
    return lambda bucket: build_backend(settings.for_bucket(bucket))


def backend_of(context: Any) -> Backend:
    return backends_of(context)(None)
