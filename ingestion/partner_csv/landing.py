"""What happens when a partner CSV lands: validate it, then start the Glue job or quarantine the file."""

from __future__ import annotations

from dataclasses import dataclass

from core.launchers import JobLauncher
from core.storage import ObjectStore
from ingestion.manifest import FileManifest, read_manifest, write_manifest
from ingestion.partner_csv.contract import SOURCE, parse_landing_key
from ingestion.partner_csv.validation import HEAD_BYTES, InvalidUpload, detect_format
from ingestion.quarantine import quarantine_file


@dataclass(frozen=True)
class LandingOutcome:
    key: str
    action: str  # job_started | quarantined | duplicate
    detail: str = ""


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
        write_manifest(
            store,
            FileManifest(
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
            ),
        )
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
