"""The gated sources' days at run time: is the day complete, and what lands when it is not.

A run reports a gated day (positional: seven layouts; client health: three files) as failed while
its gate is incomplete, naming each missing or rejected file. Positional files land one by one as
they arrive, so only the report changes; the client-health job waits for the whole day, so the run
lands the good files of an incomplete day (the day stays open for the corrected delivery).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.backend import Backend
from ingestion.client_health import contract as client_health
from ingestion.client_health.landing import land_arrived_files
from ingestion.positional.converter import SOURCE as POSITIONAL
from ingestion.positional.layout import default_layouts
from orchestration.dispatcher import event_time_of
from orchestration.report import GateCheck

RunTimeGate = Callable[[Backend, str, Sequence[str]], GateCheck]


def positional_day(backend: Backend, day: str, _keys: Sequence[str]) -> GateCheck:
    return GateCheck(backend.gate.status(POSITIONAL, day, frozenset(default_layouts())))


def client_health_day(backend: Backend, day: str, keys: Sequence[str]) -> GateCheck:
    store = backend.store
    arrived = [key for key in keys if client_health.parse_landing_key(key).format is not None]
    # The files' own delivery time, as the gate's job gets it: reruns land the same rows byte for byte.
    ingested_at = max((event_time_of(store, key) for key in arrived), default="1970-01-01T00:00:00.000Z")
    status = land_arrived_files(
        backend.gate,
        backend.launcher,
        lake_uri=backend.layout.uri,
        job_name=backend.settings.glue_job_client_health,
        day=day,
        ingested_at=ingested_at,
    )
    return GateCheck(status)


RUN_TIME_GATES: dict[str, RunTimeGate] = {
    POSITIONAL: positional_day,
    client_health.SOURCE: client_health_day,
}
