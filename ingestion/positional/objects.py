"""Write-aside-then-publish for positional outputs that may not fit in memory.

``ObjectStore.read_bytes``/``write_bytes`` hold a whole object in memory; a positional file may not fit,
so the converter streams it with ``store.open_read`` and writes its outputs to a scratch file that
``store.publish_file`` makes visible only once complete (an atomic rename locally, one upload on S3).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from core.storage import ObjectStore


class StagedFile:
    """A local file written aside and published under ``key`` only when complete."""

    def __init__(self, store: ObjectStore, key: str) -> None:
        self.store = store
        self.key = key
        name = f".tmp-{uuid.uuid4().hex}-{key.rsplit('/', 1)[-1]}.partial"
        folder = store.scratch_folder(key)
        self._temp_dir: Path | None = None
        if folder is None:
            self._temp_dir = folder = Path(tempfile.mkdtemp(prefix="positional-"))
        self.path = folder / name

    def publish(self) -> None:
        self.store.publish_file(self.path, self.key)
        self.discard()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
