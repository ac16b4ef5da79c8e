"""A real PostgreSQL 15 server for the tests and the benchmark: 127.0.0.1, a free port, a temporary folder.

PostgreSQL refuses to run as root, so when the tests run as root (CI containers) the server binaries run as
the ``postgres`` system user on a data folder owned by it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.requirements import require_executable

PG_BIN = Path(os.environ.get("LAKEHOUSE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
INSTALL_HINT = "install PostgreSQL 15 (Debian: apt-get install postgresql-15)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    """Starts on ``start()``; ``url`` then points at database ``postgres`` as superuser ``postgres``."""

    def __init__(self, bin_dir: Path = PG_BIN, extra_options: tuple[str, ...] = ()) -> None:
        self.bin_dir = bin_dir
        self.extra_options = extra_options
        # Not below pytest's tmp_path: its 0700 parents are not traversable by the postgres user.
        self.base = Path(tempfile.mkdtemp(prefix="lakehouse-pg-"))
        self.data = self.base / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self.base / "server.log"
            detail = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {result.stdout}{result.stderr}{detail}")

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-p {self.port}",
                f"-c unix_socket_directories={self.base}",
                # A throwaway server: durability only costs time here.
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                *self.extra_options,
            ]
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    require_executable(str(PG_BIN / "initdb"), INSTALL_HINT)
    require_executable(str(PG_BIN / "pg_ctl"), INSTALL_HINT)
    if os.geteuid() == 0:
        require_executable("runuser", "install util-linux (runuser starts the server as user postgres)")
    server = PostgresServer()
    try:
        yield server.start().url
    finally:
        server.stop()
