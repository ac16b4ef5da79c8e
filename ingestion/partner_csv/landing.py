"""What happens when a partner CSV lands: validate it, then start the Glue job or quarantine the file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from core.calendar import today_in_sao_paulo
from core.launchers import JobLauncher
from core.storage import ObjectStore
from ingestion.glue_registration import register_written_bronze
from ingestion.manifest import FileManifest, read_manifest, write_manifest
from ingestion.partner_csv.contract import SOURCE, parse_landing_key
from ingestion.partner_csv.validation import HEAD_BYTES, InvalidUpload, detect_format
from ingestion.quarantine import quarantine_file


@dataclass(frozen=True)
class LandingOutcome:
    key: str
    action: str  # job_started | quarantined | duplicate | redated
    detail: str = ""


# Transfer Family writes what a partner puts at its root there, without the date folder.
_ROOT_UPLOAD = re.compile(r"(?P<home>(?:.*/)?sftp/[^/]+)/(?P<name>[^/]+)")


def dated_key(key: str, event_time: str) -> str | None:
    """For an upload at a partner's root, its key in the folder of its arrival day in America/Sao_Paulo
    (the rule the local SFTP server applies when the file is written); None for a dated key."""
    match = _ROOT_UPLOAD.fullmatch(key)
    if match is None:
        return None
    day = today_in_sao_paulo(dt.datetime.fromisoformat(event_time)).isoformat()
    return f"{match['home']}/{day}/{match['name']}"


def count_data_lines(data: bytes) -> int:
    lines = [line for line in data.splitlines() if line.strip()]
    return max(len(lines) - 1, 0)


def handle_upload(
    store: ObjectStore,
    launcher: JobLauncher,
    *,
    lake_uri: str,
    job_name: str,
    key: str,
    size: int,
    etag: str,
    event_time: str,
) -> LandingOutcome:
    target = dated_key(key, event_time)
    if target is not None:
        if not store.exists(key):
            return LandingOutcome(key, "duplicate", "already moved to its day folder")
        store.move(key, target)  # the move's ObjectCreated event lands it as a dated upload
        return LandingOutcome(key, "redated", target)
    landed = parse_landing_key(key)
    previous = read_manifest(store, SOURCE, landed.day, landed.file_id)
    if previous is not None and previous.etag == etag and previous.status in {"landed", "quarantined"}:
        return LandingOutcome(key, "duplicate", f"already processed as {previous.status}")
    try:
        detected = detect_format(key, store.read_bytes(key, HEAD_BYTES) if size else b"", size)
    except InvalidUpload as exc:
        reason = str(exc)
        target = quarantine_file(store, SOURCE, landed.day, landed.file_id, key, reason)
        rows = count_data_lines(store.read_bytes(key)) if size else 0
        manifest = FileManifest(
            source=SOURCE,
            day=landed.day,
            file_id=landed.file_id,
            key=key,
            etag=etag,
            status="quarantined",
            rows_read=rows,
            rows_quarantined=rows,
            quarantined_by_reason={"file:rejected": rows} if rows else {},
            reason=reason,
            outputs=[target],
        )
        write_manifest(store, manifest)
        register_written_bronze(store, [])
        return LandingOutcome(key, "quarantined", reason)
    run_id = launcher.start_job_run(
        job_name,
        {
            "--lake_uri": lake_uri,
            "--source_key": key,
            "--partner": landed.owner or "",
            "--day": landed.day,
            "--file_id": landed.file_id,
            "--etag": etag,
            "--dialect": detected.dialect.name,
            "--encoding": detected.encoding,
            "--ingested_at": event_time,
        },
    )
    return LandingOutcome(key, "job_started", run_id)
