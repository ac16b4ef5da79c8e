"""What happens when a client file lands: check it, record its arrival in the day gate, and start the
Glue job exactly once, when the last of the day's three files is in (the positional gate's mechanism).

A file that fails the cheap checks is quarantined with its reason, recorded as rejected in the gate
and does not count as arrived, so the day waits for a corrected delivery; :func:`day_status` says
which file is missing or bad.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.gate import DayGate, GateStatus, open_day
from core.launchers import JobLauncher
from core.storage import ObjectStore
from ingestion.client_health.contract import FILE_NAMES, SOURCE, ClientFile, parse_landing_key
from ingestion.client_health.validation import HEAD_BYTES, InvalidDelivery, check_delivery
from ingestion.glue_registration import register_written_bronze
from ingestion.manifest import FileManifest, read_manifest, write_manifest
from ingestion.quarantine import quarantine_file

EXPECTED: frozenset[str] = frozenset(FILE_NAMES.values())


@dataclass(frozen=True)
class LandingOutcome:
    key: str
    action: str  # job_started | waiting | quarantined | duplicate
    detail: str = ""


def _quarantine(
    store: ObjectStore, gate: DayGate, arrived: ClientFile, etag: str, reason: str
) -> LandingOutcome:
    target = quarantine_file(store, SOURCE, arrived.day, arrived.file_id, arrived.key, reason)
    manifest = FileManifest(
        source=SOURCE,
        day=arrived.day,
        file_id=arrived.file_id,
        key=arrived.key,
        etag=etag,
        status="quarantined",
        reason=reason,
        outputs=[target],
    )
    write_manifest(store, manifest)
    register_written_bronze(store, [])
    if arrived.format is not None:
        gate.record_rejection(SOURCE, arrived.day, arrived.name, reason)
    return LandingOutcome(arrived.key, "quarantined", reason)


def handle_arrival(
    store: ObjectStore,
    gate: DayGate,
    launcher: JobLauncher,
    *,
    lake_uri: str,
    job_name: str,
    key: str,
    size: int,
    etag: str,
    event_time: str,
) -> LandingOutcome:
    arrived = parse_landing_key(key)
    if arrived.format is None:
        expected = ", ".join(sorted(EXPECTED))
        return _quarantine(
            store, gate, arrived, etag, f"{key}: unexpected file name (a day holds {expected})"
        )
    previous = read_manifest(store, SOURCE, arrived.day, arrived.file_id)
    if previous is not None and previous.etag == etag and previous.status in {"landed", "quarantined"}:
        return LandingOutcome(key, "duplicate", f"already processed as {previous.status}")
    try:
        check_delivery(arrived.format, key, store.read_bytes(key, HEAD_BYTES), size)
    except InvalidDelivery as exc:
        return _quarantine(store, gate, arrived, etag, str(exc))
    run_id = open_day(
        gate,
        launcher,
        job_name,
        SOURCE,
        arrived.day,
        arrived.name,
        EXPECTED,
        detail={"key": key, "etag": etag, "event_time": event_time},
        arguments={"--lake_uri": lake_uri, "--day": arrived.day, "--ingested_at": event_time},
    )
    if run_id is None:
        return LandingOutcome(key, "waiting", describe(gate.status(SOURCE, arrived.day, EXPECTED)))
    return LandingOutcome(key, "job_started", run_id)


def day_status(gate: DayGate, day: str) -> GateStatus:
    return gate.status(SOURCE, day, EXPECTED)


def describe(status: GateStatus) -> str:
    """``clientes.json: missing; clientes.csv: bad (reason)`` or ``all three files in``."""
    parts = [
        f"{name}: bad ({status.rejected[name]})" if name in status.rejected else f"{name}: missing"
        for name in status.missing
    ]
    if status.run_id:
        parts.append(f"job started ({status.run_id})")
    return "; ".join(parts) or "all three files in"


def gate_report(gate: DayGate, day: str) -> dict[str, object]:
    """The day gate for the run report: which files are in, missing or rejected, and the job it started."""
    status = day_status(gate, day)
    return {
        "complete": status.complete,
        "arrived": sorted(status.arrived),
        "missing": [name for name in status.missing if name not in status.rejected],
        "rejected": dict(status.rejected),
        "job_run_id": status.run_id,
        "summary": describe(status),
    }
