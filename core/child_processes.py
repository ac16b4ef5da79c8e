"""Child processes (dbt) die with the run that started them, however the run dies (SIGKILL included).

On Linux the child asks the kernel for ``PR_SET_PDEATHSIG``: when the thread that started it ends,
the child gets SIGKILL. Without that a killed run left dbt running, holding the catalog's lock, and the
next run failed before it could write a report. (The local Spark JVM already exits when its Python
driver's stdin pipe closes.)
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_this_process() -> Callable[[], None] | None:
    """A ``preexec_fn`` for subprocess that ties the child's life to this process (None off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            os._exit(127)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os._exit(1)

    return preexec
