"""Copying a local lake's folders into a sandbox bucket (the demo's inputs, or bronze built locally)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


def upload_folders(lake_root: Path, folders: Iterable[str], bucket: str, s3: Any) -> int:
    """Uploads every file below ``lake_root/<folder>`` to ``s3://bucket/<folder>/...``, same keys as
    the local lake; creates the bucket if needed. Returns the number of objects written."""
    existing = {item["Name"] for item in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    written = 0
    for folder in folders:
        base = lake_root / folder
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            if path.is_file():
                s3.put_object(
                    Bucket=bucket, Key=path.relative_to(lake_root).as_posix(), Body=path.read_bytes()
                )
                written += 1
    return written
