"""Rejected files keep their bytes and get a reason next to them, under quarantine/<source>/<day>/."""

from __future__ import annotations

import json

from core import layout as lake
from core.storage import ObjectStore


def quarantined_file_key(source: str, day: str, file_id: str, name: str) -> str:
    return f"{lake.quarantine_prefix(source, day)}/files/{file_id}/{name}"


def quarantine_file(store: ObjectStore, source: str, day: str, file_id: str, key: str, reason: str) -> str:
    """Copies the rejected object aside with ``reason.json``; the landing object is left as delivered."""
    name = key.rsplit("/", 1)[-1]
    target = quarantined_file_key(source, day, file_id, name)
    store.copy(key, target)
    detail = {"source": source, "day": day, "file": key, "reason": reason}
    store.write_bytes(
        target.rsplit("/", 1)[0] + "/reason.json",
        (json.dumps(detail, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode(),
    )
    return target


def quarantined_rows_key(source: str, day: str, file_id: str) -> str:
    return f"{lake.quarantine_prefix(source, day)}/rows/{file_id}.parquet"
