"""Streaming reads and write-aside-then-publish writes over the lake's object stores.

``ObjectStore.read_bytes``/``write_bytes`` hold a whole object in memory; a positional file may not fit,
so these helpers stream from the local file or the S3 body and publish a finished local file with an
atomic rename (local) or a single upload (S3, where an object only becomes visible once complete).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, cast

from ingestion.storage import LocalObjectStore, ObjectStore, S3ObjectStore


@contextmanager
def open_object(store: ObjectStore, key: str) -> Iterator[BinaryIO]:
    if isinstance(store, LocalObjectStore):
        with store.path(key).open("rb") as handle:
            yield handle
    elif isinstance(store, S3ObjectStore):
        body = store.client.get_object(Bucket=store.bucket, Key=key)["Body"]
        try:
            yield cast(BinaryIO, body)
        finally:
            body.close()
    else:
        yield BytesIO(store.read_bytes(key))


class StagedFile:
    """A local file written aside and published under ``key`` only when complete."""

    def __init__(self, store: ObjectStore, key: str) -> None:
        self.store = store
        self.key = key
        self._temp_dir: Path | None = None
        name = f".tmp-{uuid.uuid4().hex}-{key.rsplit('/', 1)[-1]}.partial"
        if isinstance(store, LocalObjectStore):
            # Same folder as the target, so publishing is an atomic rename on one file system.
            target = store.path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.path = target.parent / name
        else:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="positional-"))
            self.path = self._temp_dir / name

    def publish(self) -> None:
        if isinstance(self.store, LocalObjectStore):
            os.replace(self.path, self.store.path(self.key))
        elif isinstance(self.store, S3ObjectStore):
            self.store.client.upload_file(str(self.path), self.store.bucket, self.key)
        else:
            self.store.write_bytes(self.key, self.path.read_bytes())
        self.discard()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
