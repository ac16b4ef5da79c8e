"""A throwaway MariaDB server for tests and benchmarks: own data dir, 127.0.0.1 only, free port.

Use the session fixture ``mariadb_url`` (import it into a conftest.py) or, outside pytest,
the ``running_mariadb(workdir)`` context manager.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest

from tests.support.requirements import require_executable

INSTALL_HINT = "install the Debian package mariadb-server (apt-get install -y mariadb-server)"
DATABASE = "lakehouse_test"
USER = "lakehouse"


@dataclass(frozen=True)
class MariaDbServer:
    host: str
    port: int
    socket_path: Path
    user: str
    password: str
    database: str

    @property
    def url(self) -> str:
        return f"mysql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or next(
            (str(Path(d) / name) for d in ("/usr/sbin", "/usr/local/sbin") if (Path(d) / name).is_file()),
            None,
        )
        if found:
            return found
    return None


def binaries() -> tuple[str, str] | None:
    """(install-db, server) or None when MariaDB is not installed."""
    install = _find("mariadb-install-db", "mysql_install_db")
    server = _find("mariadbd", "mysqld")
    return (install, server) if install and server else None


def _wait_ready(
    process: subprocess.Popen[bytes], socket_path: Path, log: Path, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"mariadbd exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            pymysql.connect(unix_socket=str(socket_path), user="root", connect_timeout=1).close()
            return
        except pymysql.err.OperationalError:
            time.sleep(0.1)
    raise TimeoutError(f"mariadbd not ready after {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


@contextmanager
def running_mariadb(workdir: Path) -> Iterator[MariaDbServer]:
    found = binaries()
    if found is None:
        raise FileNotFoundError(f"mariadbd is missing: {INSTALL_HINT}")
    install_db, mariadbd = found
    datadir, socket_path, log = workdir / "data", workdir / "mysqld.sock", workdir / "mysqld.log"
    workdir.mkdir(parents=True, exist_ok=True)
    # mariadbd refuses to run as the OS root unless told to; any other user runs it as itself.
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    # "normal" root authentication: works whether or not the tests run as the OS root user.
    subprocess.run(
        [
            install_db,
            "--no-defaults",
            f"--datadir={datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *as_root,
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    process = subprocess.Popen(
        [
            mariadbd,
            "--no-defaults",
            f"--datadir={datadir}",
            *as_root,
            "--bind-address=127.0.0.1",
            f"--port={port}",
            f"--socket={socket_path}",
            f"--pid-file={workdir / 'mysqld.pid'}",
            f"--log-error={log}",
            "--skip-name-resolve",
            "--character-set-server=utf8mb4",
            "--innodb-buffer-pool-size=128M",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(process, socket_path, log)
        password = secrets.token_urlsafe(16)
        admin = pymysql.connect(unix_socket=str(socket_path), user="root", autocommit=True)
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4")
            cursor.execute(f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY %s", (password,))
            cursor.execute(f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{USER}'@'127.0.0.1'")
        admin.close()
        yield MariaDbServer("127.0.0.1", port, socket_path, USER, password, DATABASE)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_shared: dict[str, MariaDbServer] = {}
_shared_stack = ExitStack()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDbServer]:
    """One server per test session, even when several conftests import this fixture."""
    if "server" not in _shared:
        if binaries() is None:
            require_executable("mariadbd", INSTALL_HINT)
            require_executable("mariadb-install-db", INSTALL_HINT)
        # Unix socket paths are limited to ~108 bytes, so the server gets a short directory of its own.
        workdir = Path(tempfile.mkdtemp(prefix="mariadb-"))
        _shared_stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        _shared["server"] = _shared_stack.enter_context(running_mariadb(workdir))
    yield _shared["server"]
    # Session teardown: whichever importer finalizes first stops the server; all tests are done by then.
    _shared.clear()
    _shared_stack.close()


@pytest.fixture(scope="session")
def mariadb_url(mariadb_server: MariaDbServer) -> str:
    return mariadb_server.url
