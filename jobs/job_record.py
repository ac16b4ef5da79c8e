"""The record a daily job leaves in the lake: ``reports/jobs/<source>/<day>.json``.

The SLA check reads it, so it is written once the job has finished (succeeded or failed), in one atomic
put, and carries ``first_succeeded_at``: a rerun later in the day does not move the moment the day's
job first succeeded.
"""

from __future__ import annotations

import json
from typing import Any

from core import layout as lake
from core.storage import ObjectStore

SUCCEEDED = "succeeded"
FAILED = "failed"


def job_record_key(source: str, day: str) -> str:
    return f"{lake.REPORTS}/jobs/{lake.safe_name(source)}/{day}.json"


def read_job_record(store: ObjectStore, source: str, day: str) -> dict[str, Any] | None:
    key = job_record_key(source, day)
    if not store.exists(key):
        return None
    record: dict[str, Any] = json.loads(store.read_bytes(key))
    return record


def write_job_record(store: ObjectStore, source: str, day: str, record: dict[str, Any]) -> dict[str, Any]:
    """Writes ``record`` with ``first_succeeded_at`` carried over from an earlier successful run."""
    previous = read_job_record(store, source, day) or {}
    first = previous.get("first_succeeded_at") or (
        record["finished_at"] if record["status"] == SUCCEEDED else None
    )
    written = {**record, "first_succeeded_at": first}
    data = json.dumps(written, indent=2, ensure_ascii=False) + "\n"
    store.write_bytes(job_record_key(source, day), data.encode())
    return written
