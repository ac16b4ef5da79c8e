"""Spark on S3 without the S3A connector: the local Glue runner stages S3 objects through a local folder.

On Glue, Spark reads and writes ``s3://`` itself. The local Spark that stands in for Glue has no S3A
connector (no hadoop-aws jar can be installed offline), so when the local runner executes a Glue job on
the aws backend it opens a staging area (``staged_s3_io``): inside it, ``store_for_uri("s3://B")``
returns a ``StagedS3ObjectStore`` whose ``uri(key)`` is a local file (the S3 object downloaded on first
use) instead of ``s3://B/key``. Everything else the job body does through the store (manifests, moves
of Spark's part files to their final keys, deletes) goes to S3 as it would on Glue; whatever Spark
wrote locally and the job did not move is uploaded to the same keys when the job ends successfully.
The job body is the same code on both.

Limits of this stand-in (not of the AWS path): every input object is downloaded whole before Spark
reads it and every output lands on local disk before it is uploaded, so the local disk must hold the
job's inputs and outputs; there is no streaming from S3, no S3 read parallelism beyond boto3's
transfer manager, and an output only appears on S3 when the job moves it or finishes (a job that
crashes uploads nothing it had not already moved, as a failed Glue run leaves only what it committed).
Listing merges S3 with the files Spark wrote locally, so list-after-write behaves like on S3.
"""

from __future__ import annotations

import builtins
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from core.storage import ObjectInfo, S3ObjectStore, file_md5

_ACTIVE_AREA: ContextVar[StagingArea | None] = ContextVar("lakehouse_s3_staging_area", default=None)


class StagedS3ObjectStore(S3ObjectStore):
    """S3 for every operation, but ``uri(key)`` is a local copy Spark can read or a local path it writes.

    A file under the work folder is either a downloaded copy of an S3 object (``_downloaded``) or a
    local-only output of Spark; local-only files shadow S3 until they are moved, deleted or uploaded.
    """

    def __init__(self, bucket: str, client: Any, workdir: Path) -> None:
        super().__init__(bucket, client)
        self.workdir = workdir
        self._downloaded: set[str] = set()

    def _local(self, key: str) -> Path:
        path = (self.workdir / key).resolve()
        if path != self.workdir and self.workdir not in path.parents:
            raise ValueError(f"key {key!r} escapes the staging folder")
        return path

    def _local_only(self, key: str) -> Path | None:
        path = self._local(key)
        return path if path.is_file() and key not in self._downloaded else None

    def _download(self, key: str) -> None:
        target = self._local(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, key, str(target))
        self._downloaded.add(key)

    def _forget_local(self, key: str) -> None:
        self._local(key).unlink(missing_ok=True)
        self._downloaded.discard(key)

    def local_outputs(self, prefix: str = "") -> list[str]:
        """Keys of the files Spark wrote locally (not downloads), hidden files (``.crc``) excluded."""
        base = self._local(prefix) if prefix else self.workdir
        if not base.is_dir():
            return []
        keys = (str(path.relative_to(self.workdir)) for path in base.rglob("*") if path.is_file())
        return sorted(
            key for key in keys if key not in self._downloaded and not key.rsplit("/", 1)[-1].startswith(".")
        )

    def uri(self, key: str) -> str:
        """The local path standing for ``s3://bucket/key``: the object or the prefix's objects, downloaded."""
        local = self._local(key)
        if local.is_file():
            return str(local)
        if super().exists(key):
            self._download(key)
        else:
            for info in super().list(key):
                if not self._local(info.key).exists():
                    self._download(info.key)
        return str(local)

    def read_bytes(self, key: str, length: int | None = None) -> bytes:
        local = self._local_only(key)
        if local is None:
            return super().read_bytes(key, length)
        with local.open("rb") as handle:
            return handle.read() if length is None else handle.read(length)

    def write_bytes(self, key: str, data: bytes) -> None:
        super().write_bytes(key, data)
        self._forget_local(key)

    def exists(self, key: str) -> bool:
        return self._local_only(key) is not None or super().exists(key)

    def head(self, key: str) -> ObjectInfo:
        local = self._local_only(key)
        if local is None:
            return super().head(key)
        return ObjectInfo(key=key, size=local.stat().st_size, etag=file_md5(local))

    def list(self, prefix: str) -> list[ObjectInfo]:
        found = {info.key: info for info in super().list(prefix)}
        for key in self.local_outputs(prefix.rstrip("/")):
            found[key] = self.head(key)
        return [found[key] for key in sorted(found)]

    def copy(self, source_key: str, target_key: str) -> None:
        local = self._local_only(source_key)
        if local is None:
            super().copy(source_key, target_key)
        else:
            self.client.upload_file(str(local), self.bucket, target_key)
        self._forget_local(target_key)

    def move(self, source_key: str, target_key: str) -> None:
        self.copy(source_key, target_key)
        self.delete(source_key)

    def delete(self, key: str) -> None:
        self._forget_local(key)
        super().delete(key)

    def delete_prefix(self, prefix: str) -> None:
        local = self._local(prefix)
        if local.is_dir():
            self._downloaded = {key for key in self._downloaded if not key.startswith(prefix.rstrip("/") + "/")}
            shutil.rmtree(local)
        super().delete_prefix(prefix)

    def upload_outputs(self) -> builtins.list[str]:
        """Uploads what Spark wrote and the job left in place, to the same keys; returns those keys."""
        keys = self.local_outputs()
        for key in keys:
            self.client.upload_file(str(self._local(key)), self.bucket, key)
            self._forget_local(key)
        return keys


class StagingArea:
    """The work folder of one staged job run and the S3 stores opened inside it (one per bucket)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stores: dict[str, StagedS3ObjectStore] = {}

    def store(self, bucket: str, client: Any) -> StagedS3ObjectStore:
        if bucket not in self.stores:
            self.stores[bucket] = StagedS3ObjectStore(bucket, client, (self.root / bucket).resolve())
        return self.stores[bucket]

    def upload_outputs(self) -> list[str]:
        return [f"s3://{store.bucket}/{key}" for store in self.stores.values() for key in store.upload_outputs()]


def active_staging_area() -> StagingArea | None:
    return _ACTIVE_AREA.get()


@contextmanager
def staged_s3_io(parent: Path | None = None) -> Iterator[StagingArea]:
    """Within the block, S3 lakes opened with ``store_for_uri`` stage through a temporary local folder.

    On a normal exit the outputs left in the folder are uploaded; on an exception nothing more is
    uploaded. The folder is removed either way.
    """
    root = Path(tempfile.mkdtemp(prefix="lakehouse-s3-stage-", dir=parent))
    area = StagingArea(root)
    token = _ACTIVE_AREA.set(area)
    try:
        yield area
        area.upload_outputs()
    finally:
        _ACTIVE_AREA.reset(token)
        shutil.rmtree(root, ignore_errors=True)
