"""One writer per local lake: ``lakehouse run`` and ``demo`` hold an exclusive ``flock`` on ``DIR/.lakehouse.lock``.

The kernel releases a ``flock`` when the process that holds it dies, however it dies (SIGKILL
included), so a crashed run never leaves the lake locked. A second writer does not wait: it is
refused at once with :class:`LakeBusyError` naming the holder (pid, host, start time, command),
which the CLI turns into exit code 3. Readers (``lakehouse query``) never take this lock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from core.calendar import SAO_PAULO

LOCK_FILE = ".lakehouse.lock"


class LakeBusyError(RuntimeError):
    """Another process holds the lake's writer lock."""


def lock_path(lake_root: Path) -> Path:
    return lake_root / LOCK_FILE


def _holder(handle_path: Path) -> str:
    try:
        payload = json.loads(handle_path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    if not payload:
        return "another process"
    return (
        f"pid {payload.get('pid')} on {payload.get('host')}, "
        f"{payload.get('command', '?')} since {payload.get('since', '?')}"
    )


@contextmanager
def lake_writer_lock(lake_root: Path, command: str) -> Iterator[None]:
    """Holds the lake's writer lock for the block; raises LakeBusyError at once if another process has it."""
    lake_root.mkdir(parents=True, exist_ok=True)
    path = lock_path(lake_root)
    # The file is never deleted (deleting it would let two processes lock two different inodes).
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LakeBusyError(
                f"another run holds the lake {lake_root} ({_holder(path)}); "
                "wait for it to finish, then run again"
            ) from None
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": dt.datetime.now(tz=SAO_PAULO).isoformat(timespec="seconds"),
            "argv0": os.path.basename(sys.argv[0]) if sys.argv else "",
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def no_writer_lock(command: str) -> AbstractContextManager[None]:
    """A lake in S3 has no local writer to exclude: its catalog is Glue's and its day gates are S3 claims."""
    return nullcontext()
