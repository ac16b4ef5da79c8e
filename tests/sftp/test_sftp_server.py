from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import asyncssh
import pytest

from core.calendar import today_in_sao_paulo
from orchestration.sftp_server import SftpLayout, _PartnerSsh, load_or_create_host_key
from tests.sftp.conftest import Endpoint, make_key, session_lines, wait_for_sessions
from tests.support.requirements import require_executable

pytestmark = pytest.mark.servers

CSV = (
    "id_funcionario,nome,cpf,idade,ativo,salario,data_referencia\n"
    "1,Ana Marker-7f3a,123.456.789-09,30,true,1500.50,2024-05-01\n"
)


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink())


def test_an_upload_at_the_root_lands_under_today_and_is_announced_once(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    (endpoint.workdir / "folha.csv").write_text(CSV)
    result = endpoint.run("acme", ["put folha.csv", "ls -1 /"])
    assert result.returncode == 0, result.stderr

    today = today_in_sao_paulo().isoformat()
    key = f"landing/sftp/acme/{today}/folha.csv"
    assert (endpoint.lake / key).read_text() == CSV
    assert endpoint.uploads == [key]
    assert today in result.stdout  # the partner sees its day folder at "/"
    assert list((endpoint.lake / "sftp" / "partial").iterdir()) == []

    (line,) = wait_for_sessions(caplog, 1)
    assert line["partner"] == "acme" and line["authenticated"] is True
    assert (line["files"], line["bytes"], line["result"]) == (1, len(CSV.encode()), "ok")
    assert line["published"] == [key]
    assert "Marker-7f3a" not in caplog.text, "file contents are never logged"


def test_an_upload_to_a_day_folder_lands_on_that_day_and_can_be_read_back(endpoint: Endpoint) -> None:
    (endpoint.workdir / "folha.csv").write_text(CSV)
    result = endpoint.run(
        "acme",
        ["mkdir /2024-05-02", "put folha.csv /2024-05-02/folha.csv", "get /2024-05-02/folha.csv back.csv"],
    )
    assert result.returncode == 0, result.stderr
    assert endpoint.uploads == ["landing/sftp/acme/2024-05-02/folha.csv"]
    assert (endpoint.workdir / "back.csv").read_text() == CSV


def test_a_reupload_replaces_the_file_and_is_announced_again(endpoint: Endpoint) -> None:
    (endpoint.workdir / "folha.csv").write_text(CSV)
    assert endpoint.run("acme", ["put folha.csv /2024-05-02/folha.csv"]).returncode == 0
    (endpoint.workdir / "folha.csv").write_text(CSV + "2,Bia,,40,false,10.00,2024-05-01\n")
    assert endpoint.run("acme", ["put folha.csv /2024-05-02/folha.csv"]).returncode == 0
    assert endpoint.uploads == ["landing/sftp/acme/2024-05-02/folha.csv"] * 2
    assert (endpoint.home("acme") / "2024-05-02" / "folha.csv").read_text().count("\n") == 3


def test_wrong_key_unknown_partner_and_password_are_refused(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    (endpoint.workdir / "folha.csv").write_text(CSV)
    stranger = endpoint.workdir / "stranger_key"
    make_key(stranger)

    wrong_key = endpoint.run("acme", ["put folha.csv"], key=stranger)
    unknown = endpoint.run("nobody", ["put folha.csv"], key=stranger)
    other_partners_key = endpoint.run("acme", ["put folha.csv"], key=endpoint.keys["beta"])
    traversal_user = endpoint.run("../sftp/keys/acme", ["put folha.csv"], key=endpoint.keys["acme"])

    # A client that is willing to send a password, given one by askpass: the server never asks.
    askpass = endpoint.workdir / "askpass.sh"
    asked = endpoint.workdir / "asked"
    askpass.write_text(f"#!/bin/sh\ntouch {asked}\necho hunter2\n")
    askpass.chmod(0o755)
    env = {**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
    password = endpoint.run(
        "acme",
        ["put folha.csv"],
        options=(
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "NumberOfPasswordPrompts=1",
        ),
        env=env,
    )

    for refused in (wrong_key, unknown, other_partners_key, traversal_user, password):
        assert refused.returncode != 0
        assert "Permission denied (publickey)" in refused.stderr, refused.stderr
    assert not asked.exists(), "the server offered password authentication"
    assert endpoint.uploads == []
    assert files_under(endpoint.lake / "landing") == []
    lines = wait_for_sessions(caplog, 5)
    assert [line["result"] for line in lines] == ["auth_failed"] * 5


def test_keys_are_reread_at_each_login_so_rotation_needs_no_restart(endpoint: Endpoint) -> None:
    (endpoint.workdir / "folha.csv").write_text(CSV)
    new_key = endpoint.workdir / "acme_new_key"
    keys_file = endpoint.lake / "sftp" / "keys" / "acme.pub"
    old_line = keys_file.read_text()
    keys_file.write_text(old_line + "# rotation: both keys valid for a while\n" + make_key(new_key) + "\n")
    assert endpoint.run("acme", ["put folha.csv /2024-05-01/a.csv"]).returncode == 0
    assert endpoint.run("acme", ["put folha.csv /2024-05-01/b.csv"], key=new_key).returncode == 0

    keys_file.write_text(keys_file.read_text().replace(old_line, ""))
    assert endpoint.run("acme", ["put folha.csv /2024-05-01/c.csv"]).returncode != 0
    assert [key.rsplit("/", 1)[1] for key in endpoint.uploads] == ["a.csv", "b.csv"]


def test_traversal_absolute_paths_links_and_other_partners_stay_out_of_reach(endpoint: Endpoint) -> None:
    (endpoint.workdir / "folha.csv").write_text(CSV)
    beta_day = endpoint.home("beta") / "2024-05-01"
    beta_day.mkdir(parents=True)
    (beta_day / "secret.csv").write_text("beta's file\n")
    outside = endpoint.workdir.parent / "outside"
    outside.mkdir()
    (outside / "loot.csv").write_text("outside the lake\n")
    acme = endpoint.home("acme")
    acme.mkdir(parents=True)
    # Links a careless operator (not the partner: it cannot create them) left inside the home.
    (acme / "2024-05-03").symlink_to(beta_day)
    (acme / "loot.csv").symlink_to(outside / "loot.csv")

    before = {path: files_under(path) for path in (endpoint.home("beta"), outside, endpoint.lake / "sftp")}
    result = endpoint.run(
        "acme",
        [
            "-put folha.csv ../../../escape.csv",
            "-put folha.csv /../beta/2024-05-01/evil.csv",
            "-put folha.csv ../beta/evil.csv",
            "-put folha.csv /etc/evil.csv",
            "-put folha.csv /2024-05-03/through-link.csv",
            "-put folha.csv /loot.csv",
            "-get ../beta/2024-05-01/secret.csv stolen1.csv",
            "-get /../../../sftp/keys/beta.pub stolen2.pub",
            "-get /etc/passwd stolen3",
            "-get /2024-05-03/secret.csv stolen4.csv",
            "-get /loot.csv stolen5.csv",
            "-ls /2024-05-03",
            "-symlink /etc/passwd /pw",
            "-symlink ../beta /beta-link",
            "-ln /2024-05-03 /hard",
            "-rename /loot.csv /renamed.csv",
            "-rm /loot.csv",
            "-mkdir /not-a-day",
            "-mkdir /../../x",
            "cd ../../..",
            "pwd",
            "ls -1a",
        ],
    )
    assert result.returncode == 0, result.stderr
    assert "Remote working directory: /\n" in result.stdout
    listing = result.stdout.split("ls -1a", 1)[1].split()
    # The root shows the partner's own entries only; the links and beta's folder are not listed.
    assert set(listing) - {".", "..", "sftp>"} == {today_in_sao_paulo().isoformat()}
    assert not list(endpoint.workdir.glob("stolen*"))
    assert endpoint.uploads == [f"landing/sftp/acme/{today_in_sao_paulo().isoformat()}/escape.csv"]
    for path, files in before.items():
        assert files_under(path) == files, f"{path} changed"
    assert (acme / "2024-05-03").is_symlink() and (acme / "loot.csv").is_symlink()
    assert files_under(acme) == sorted(
        ["2024-05-03", "loot.csv", f"{today_in_sao_paulo().isoformat()}/escape.csv"]
    )
    # One refusal per hostile command (OpenSSH shows the status, "Permission denied" or "not found").
    refusals = result.stderr.strip().splitlines()
    assert len(refusals) == 18, result.stderr
    assert all("Permission denied" in line or "not found" in line for line in refusals), result.stderr


@pytest.mark.parametrize("kill", ["connection", "client_only"])
def test_an_upload_killed_midway_publishes_nothing_and_leaves_no_file(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture, kill: str
) -> None:
    big = endpoint.workdir / "big.csv"
    with big.open("wb") as handle:
        handle.write(CSV.encode())
        handle.write(os.urandom(50 << 20))
    batch = endpoint.workdir / "batch.txt"
    batch.write_text("put big.csv /2024-05-02/big.csv\n")
    # -l (Kbit/s) keeps the transfer long enough to be interrupted at a known point.
    command = endpoint.command(
        "acme",
        endpoint.keys["acme"],
        batch,
        "-l",
        "40000",
        "-o",
        "BatchMode=yes",
        "-o",
        "PasswordAuthentication=no",
    )
    client = subprocess.Popen(
        command,
        cwd=endpoint.workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    partial_dir = endpoint.lake / "sftp" / "partial"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partials = list(partial_dir.glob("*.part")) if partial_dir.is_dir() else []
            if partials and partials[0].stat().st_size > (1 << 20):
                break
            assert client.poll() is None, "the upload ended before it could be interrupted"
            time.sleep(0.01)
        else:
            pytest.fail("the upload never started")
        assert files_under(endpoint.lake / "landing") == [], "an upload in flight must not be visible"
        if kill == "connection":
            os.killpg(client.pid, signal.SIGKILL)  # sftp and its ssh: the TCP connection drops
        else:
            client.send_signal(signal.SIGKILL)  # sftp only: its ssh closes the channel cleanly (EOF)
        client.wait(timeout=30)
        (line,) = wait_for_sessions(caplog, 1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(client.pid, signal.SIGKILL)  # whatever is left of this client's process group
        client.wait(timeout=30)

    assert line["result"] == "upload_aborted" and line["files"] == 0 and line["aborted_uploads"] == 1
    assert endpoint.uploads == []
    assert files_under(endpoint.lake / "landing") == []
    assert list(partial_dir.iterdir()) == []


def test_the_host_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "sftp" / "host_key"
    first = load_or_create_host_key(path)
    again = load_or_create_host_key(path)
    assert first.get_fingerprint() == again.get_fingerprint()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.with_name("host_key.pub").read_text().startswith("ssh-ed25519 ")


def test_each_session_logs_exactly_one_line(endpoint: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    (endpoint.workdir / "folha.csv").write_text(CSV)
    endpoint.run("acme", ["put folha.csv /2024-05-01/a.csv", "put folha.csv /2024-05-01/b.csv"])
    endpoint.run("beta", ["ls"])
    lines = wait_for_sessions(caplog, 2)
    time.sleep(0.2)
    assert len(session_lines(caplog)) == 2
    assert [(line["partner"], line["files"], line["bytes"]) for line in lines] == [
        ("acme", 2, 2 * len(CSV.encode())),
        ("beta", 0, 0),
    ]


class _RecordingConnection:
    def __init__(self) -> None:
        self.keys: list[asyncssh.SSHAuthorizedKeys] = []

    def set_authorized_keys(self, keys: asyncssh.SSHAuthorizedKeys) -> None:
        self.keys.append(keys)

    def get_extra_info(self, name: str) -> tuple[str, int]:
        return ("127.0.0.1", 50000)


def test_changing_user_name_mid_connection_does_not_keep_the_previous_users_keys(endpoint: Endpoint) -> None:
    # SSH lets a client retry authentication under another user name on the same connection.
    connection = _RecordingConnection()
    ssh = _PartnerSsh(SftpLayout(endpoint.lake))
    ssh.connection_made(connection)  # type: ignore[arg-type]
    acme_key = asyncssh.read_private_key(endpoint.keys["acme"]).convert_to_public()
    ssh.begin_auth("acme")
    ssh.begin_auth("nobody")
    ssh.begin_auth("beta")
    accepted = [keys.validate(acme_key, "127.0.0.1", "127.0.0.1") is not None for keys in connection.keys]
    assert accepted == [True, False, False]


def test_a_key_file_without_valid_keys_refuses_the_login_cleanly(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    (endpoint.lake / "sftp" / "keys" / "acme.pub").write_text("# all keys revoked\n")
    result = endpoint.run("acme", ["ls"])
    assert result.returncode != 0 and "Permission denied (publickey)" in result.stderr
    (line,) = wait_for_sessions(caplog, 1)
    assert line["result"] == "auth_failed"
    assert endpoint.run("beta", ["ls"]).returncode == 0, "the server keeps serving the others"


def test_no_shell_command_or_port_forwarding_is_offered(endpoint: Endpoint) -> None:
    ssh = require_executable("ssh", "install the Debian package openssh-client")
    base = [
        ssh,
        "-i",
        str(endpoint.keys["acme"]),
        "-p",
        str(endpoint.port),
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "LogLevel=ERROR",
    ]
    command = subprocess.run(
        [*base, "acme@127.0.0.1", "cat /etc/passwd"], capture_output=True, text=True, timeout=60
    )
    assert command.returncode != 0 and "root:" not in command.stdout
    remote = subprocess.run(
        [*base, "-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:22", "acme@127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert remote.returncode != 0 and "forwarding failed" in remote.stderr, remote.stderr
    direct = subprocess.run(
        [*base, "-W", f"127.0.0.1:{endpoint.port}", "acme@127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert direct.returncode != 0 and "forwarding failed" in direct.stderr, direct.stderr
