"""What happens when a client file lands: check it, record its arrival in the day's gate, and start the
Glue job exactly once, when the third good file of the day is in.

A file that fails the cheap checks is quarantined with its reason and does not count as arrived, so
the day waits for a corrected delivery; :func:`day_status` says which file is missing or bad.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ingestion.client_health.contract import FILE_NAMES, FORMATS, SOURCE, ClientFile, landing_key, parse_landing_key
from ingestion.client_health.validation import HEAD_BYTES, InvalidDelivery, check_delivery
from ingestion.jobs import JobLauncher
from ingestion.manifest import FileManifest, read_manifest, write_manifest
from ingestion.quarantine import quarantine_file
from ingestion.storage import ObjectStore

EXPECTED: frozenset[str] = frozenset(FILE_NAMES.values())


class ArrivalGate(Protocol):
    """The day gate: records one expected file of a day; True exactly once, for the arrival that completes it."""

    def record_arrival(self, day: str, name: str) -> bool: ...


@dataclass(frozen=True)
class LandingOutcome:
    key: str
    action: str  # job_started | waiting | quarantined | duplicate
    detail: str = ""


def _quarantine(store: ObjectStore, arrived: ClientFile, etag: str, reason: str) -> LandingOutcome:
    target = quarantine_file(store, SOURCE, arrived.day, arrived.file_id, arrived.key, reason)
    write_manifest(
        store,
        FileManifest(
            source=SOURCE, day=arrived.day, file_id=arrived.file_id, key=arrived.key, etag=etag, status="quarantined",
            reason=reason, outputs=[target],
        ),  # fmt: skip
    )
    return LandingOutcome(arrived.key, "quarantined", reason)


def handle_arrival(
    store: ObjectStore,
    gate: ArrivalGate,
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
        return _quarantine(store, arrived, etag, f"{key}: unexpected file name (a day holds {expected})")
    previous = read_manifest(store, SOURCE, arrived.day, arrived.file_id)
    if previous is not None and previous.etag == etag and previous.status in {"landed", "quarantined"}:
        return LandingOutcome(key, "duplicate", f"already processed as {previous.status}")
    try:
        check_delivery(arrived.format, key, store.read_bytes(key, HEAD_BYTES), size)
    except InvalidDelivery as exc:
        return _quarantine(store, arrived, etag, str(exc))
    if not gate.record_arrival(arrived.day, arrived.name):
        return LandingOutcome(key, "waiting", day_status(store, arrived.day).describe())
    run_id = launcher.start_job_run(
        job_name, {"--lake_uri": lake_uri, "--day": arrived.day, "--ingested_at": event_time}
    )
    return LandingOutcome(key, "job_started", run_id)


@dataclass
class DayStatus:
    """Per expected file of a day: landed, quarantined (with the reason), arrived (waiting) or missing."""

    day: str
    files: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [name for name, state in self.files.items() if state == "missing"]

    @property
    def bad(self) -> dict[str, str]:
        return {name: self.reasons[name] for name, state in self.files.items() if state == "quarantined"}

    @property
    def complete(self) -> bool:
        return all(state == "landed" for state in self.files.values())

    def describe(self) -> str:
        parts = [f"{name}: missing" for name in self.missing]
        parts += [f"{name}: bad ({reason})" for name, reason in self.bad.items()]
        waiting = [name for name, state in self.files.items() if state == "arrived"]
        if waiting:
            parts.append(f"arrived, waiting: {', '.join(waiting)}")
        return "; ".join(parts) or "all files landed"

    def as_report(self) -> dict[str, object]:
        return {"day": self.day, "files": self.files, "missing": self.missing, "bad": self.bad, "complete": self.complete}


def day_status(store: ObjectStore, day: str) -> DayStatus:
    status = DayStatus(day)
    for fmt in FORMATS:
        name, key = FILE_NAMES[fmt], landing_key(day, fmt)
        manifest = read_manifest(store, SOURCE, day, ClientFile(key, day, name, fmt).file_id)
        delivered = store.head(key).etag if store.exists(key) else None
        if manifest is not None and manifest.status in {"landed", "quarantined"} and manifest.etag == delivered:
            status.files[name] = manifest.status
            if manifest.reason:
                status.reasons[name] = manifest.reason
        elif delivered is not None:
            status.files[name] = "arrived"
        else:
            status.files[name] = "missing"
    return status
