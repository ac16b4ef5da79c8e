"""Per-file ingestion manifests: the counts that prove rows read = rows landed + rows quarantined."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from core import layout as lake
from core.storage import ObjectStore


class ReconciliationError(ValueError):
    pass


@dataclass
class FileManifest:
    source: str
    day: str
    file_id: str
    key: str
    etag: str
    status: str  # landed | quarantined | failed
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    outputs: list[str] = field(default_factory=list)
    # What landed differently from the contract without losing a row (e.g. a missing optional column).
    notes: list[str] = field(default_factory=list)

    def check(self) -> None:
        if self.status == "failed":
            return  # a failed file's counts are what was seen before it failed; its reason says why
        if self.rows_read != self.rows_landed + self.rows_quarantined:
            raise ReconciliationError(
                f"{self.key}: rows read {self.rows_read} != landed {self.rows_landed}"
                f" + quarantined {self.rows_quarantined}"
            )
        if sum(self.quarantined_by_reason.values()) != self.rows_quarantined:
            raise ReconciliationError(
                f"{self.key}: quarantine reasons do not add up to {self.rows_quarantined}"
            )

    def to_json(self) -> bytes:
        # One object on one line: Athena's JSON SerDe (bronze.ingestion_manifests) reads JSON Lines only.
        return (json.dumps(asdict(self), sort_keys=True, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> FileManifest:
        payload: dict[str, Any] = json.loads(data)
        return cls(**payload)


def write_manifest(store: ObjectStore, manifest: FileManifest) -> None:
    manifest.check()
    store.write_bytes(lake.manifest_key(manifest.source, manifest.day, manifest.file_id), manifest.to_json())


def read_manifest(store: ObjectStore, source: str, day: str, file_id: str) -> FileManifest | None:
    key = lake.manifest_key(source, day, file_id)
    return FileManifest.from_json(store.read_bytes(key)) if store.exists(key) else None


def read_manifests(store: ObjectStore, source: str, day: str) -> list[FileManifest]:
    return [
        FileManifest.from_json(store.read_bytes(info.key))
        for info in store.list(lake.manifest_prefix(source, day))
        if info.key.endswith(".json")
    ]
