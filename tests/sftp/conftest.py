"""A real SFTP endpoint on 127.0.0.1 (asyncssh in a background thread) driven by the OpenSSH client."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from orchestration.sftp_server import start_sftp_server
from tests.support.requirements import require_executable

SERVER_LOGGER = "orchestration.sftp_server"


def make_key(path: Path) -> str:
    """Writes an OpenSSH private key (mode 600, as ssh demands) and returns its public line."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(path)
    os.chmod(path, 0o600)
    return key.export_public_key().decode().strip()


@dataclass
class Endpoint:
    lake: Path
    port: int
    workdir: Path
    uploads: list[str] = field(default_factory=list)
    keys: dict[str, Path] = field(default_factory=dict)
    sftp: str = "sftp"

    def home(self, partner: str) -> Path:
        return self.lake / "landing" / "sftp" / partner

    def command(self, user: str, key: Path, batch: Path, *options: str) -> list[str]:
        return [
            self.sftp,
            "-b",
            str(batch),
            "-i",
            str(key),
            "-P",
            str(self.port),
            "-F",
            "/dev/null",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "LogLevel=ERROR",
            *options,
            f"{user}@127.0.0.1",
        ]

    def run(
        self,
        user: str,
        commands: list[str],
        *,
        key: Path | None = None,
        options: tuple[str, ...] | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        batch = self.workdir / "batch.txt"
        batch.write_text("\n".join(commands) + "\n")
        opts = options if options is not None else ("-o", "BatchMode=yes", "-o", "PasswordAuthentication=no")
        return subprocess.run(
            self.command(user, key or self.keys[user], batch, *opts),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            stdin=subprocess.DEVNULL,
        )


def session_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    lines = []
    for record in caplog.records:
        if record.name == SERVER_LOGGER and '"sftp_session"' in record.getMessage():
            lines.append(json.loads(record.getMessage()))
    return lines


def wait_for_sessions(
    caplog: pytest.LogCaptureFixture, count: int, timeout: float = 15
) -> list[dict[str, Any]]:
    """The session line is written once the server is done with the connection, after the client exits."""
    deadline = time.monotonic() + timeout
    while len(session_lines(caplog)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return session_lines(caplog)


@pytest.fixture
def endpoint(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Endpoint]:
    sftp = require_executable(
        "sftp", "install the Debian package openssh-client (apt-get install -y openssh-client)"
    )
    caplog.set_level(logging.INFO, logger=SERVER_LOGGER)
    lake, workdir = tmp_path / "lake", tmp_path / "client"
    workdir.mkdir()
    (lake / "sftp" / "keys").mkdir(parents=True)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="sftp-server", daemon=True)
    thread.start()
    uploads: list[str] = []
    acceptor = asyncio.run_coroutine_threadsafe(
        start_sftp_server(lake, "127.0.0.1", 0, uploads.append), loop
    ).result(timeout=30)
    point = Endpoint(lake=lake, port=acceptor.get_port(), workdir=workdir, uploads=uploads, sftp=sftp)
    for partner in ("acme", "beta"):
        point.keys[partner] = workdir / f"{partner}_key"
        (lake / "sftp" / "keys" / f"{partner}.pub").write_text(make_key(point.keys[partner]) + "\n")
    try:
        yield point
    finally:

        async def stop() -> None:
            acceptor.close()
            await acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
