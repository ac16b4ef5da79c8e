"""The partners' SFTP endpoint: the local stand-in for AWS Transfer Family.

Files under the lake root ``DIR``:

- ``DIR/sftp/keys/<partner>.pub``: the partner's public keys in authorized_keys format, one or more
  lines. They are read at every login, so adding, rotating or revoking a key needs no restart. The
  file name is the SSH user name; only public-key authentication is offered.
- ``DIR/sftp/host_key`` (and ``host_key.pub`` to hand to partners): generated on the first start
  and kept, mode 600, so partners' known_hosts stay valid.
- ``DIR/sftp/partial/``: uploads in flight, under random names, outside the landing zone.
- ``DIR/landing/sftp/<partner>/``: the partner's home, which it sees as ``/``.

Paths are resolved lexically inside the home: ``..`` stops at ``/`` and absolute paths start at the
home, so no name reaches another partner's folder or the rest of the lake. Symbolic links are
refused: none can be created, and a path with a link anywhere below the home is refused rather
than followed. Partners may list and download their own files, create ``/<YYYY-MM-DD>`` folders and
upload; deleting, renaming, linking and changing attributes are refused (the landing zone is
append-only: what a partner sent stays as evidence).

Where an upload lands: ``/<name>`` goes to ``landing/sftp/<partner>/<D>/<name>`` where D is today in
America/Sao_Paulo when the upload starts (the business day, whatever the server's zone), and
``/<YYYY-MM-DD>/<name>`` goes to that day, for partners that resend or backfill a day. Names are
letters, digits, ``.``, ``_`` and ``-``; the contract's ``<name>.csv`` is checked by the landing
handler, which quarantines anything else with its reason, as on AWS.

An upload is written to ``sftp/partial/`` and published only when the client closes the file while
still connected: it is renamed into the landing zone (replacing an earlier file of the same name,
as an S3 put would) and ``on_upload(key)`` is called with the landing key, as the ObjectCreated
event would be. A disconnect in the middle of an upload deletes the partial file and publishes
nothing. ``on_upload`` runs in a worker thread, one call at a time, and the client's close returns
after it; a failing ``on_upload`` is logged and does not undo the upload (the daily run picks the
file up again).

Each SSH connection logs one JSON line (logger ``orchestration.sftp_server``): the partner, whether
it authenticated, the files published, their bytes and the result. File contents are never logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import posixpath
import re
import stat
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import asyncssh
from asyncssh.sftp import FXF_APPEND, FXF_CREAT, FXF_EXCL, FXF_READ, FXF_TRUNC, FXF_WRITE

from core.calendar import today_in_sao_paulo
from core.layout import landing_prefix

logger = logging.getLogger(__name__)

PARTNER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
FILE_NAME = re.compile(r"\w[\w.-]{0,199}")
_WRITE_FLAGS = FXF_WRITE | FXF_APPEND | FXF_CREAT | FXF_TRUNC

OnUpload = Callable[[str], None]


@dataclass(frozen=True)
class SftpLayout:
    lake_root: Path

    @property
    def sftp_dir(self) -> Path:
        return self.lake_root / "sftp"

    @property
    def keys_dir(self) -> Path:
        return self.sftp_dir / "keys"

    @property
    def host_key_path(self) -> Path:
        return self.sftp_dir / "host_key"

    @property
    def partial_dir(self) -> Path:
        return self.sftp_dir / "partial"

    def landing_key(self, partner: str, day: str, name: str) -> str:
        return f"{landing_prefix('sftp')}/{partner}/{day}/{name}"

    def home(self, partner: str) -> Path:
        return self.lake_root / landing_prefix("sftp") / partner

    def authorized_keys(self, partner: str) -> asyncssh.SSHAuthorizedKeys | None:
        """The partner's keys, or None for an unknown partner or an unreadable key file."""
        if not PARTNER_NAME.fullmatch(partner):
            return None
        path = self.keys_dir / f"{partner}.pub"
        try:
            return asyncssh.import_authorized_keys(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # unreadable, not UTF-8, or no valid key line
            logger.warning(json.dumps({"event": "sftp_bad_key_file", "partner": partner, "error": str(exc)}))
            return None


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The host key is generated once: a new one would make every partner's client refuse us."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        return asyncssh.read_private_key(path)
    key = asyncssh.generate_private_key("ssh-ed25519")
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.export_private_key())
    key.write_public_key(path.with_name(path.name + ".pub"))
    return key


@dataclass
class SessionLog:
    """What one SSH connection did; logged once, when the connection and its SFTP sessions are gone."""

    peer: str
    partner: str = ""
    authenticated: bool = False
    published: list[str] = field(default_factory=list)
    bytes: int = 0
    aborted_uploads: int = 0
    failed_uploads: int = 0
    open_sftp_sessions: int = 0
    connection_closed: bool = False
    error: str | None = None
    logged: bool = False

    def result(self) -> str:
        if not self.authenticated:
            return "auth_failed"
        if self.failed_uploads:
            return "upload_failed"
        return "upload_aborted" if self.aborted_uploads else "ok"

    def finish_if_done(self) -> None:
        if self.logged or not self.connection_closed or self.open_sftp_sessions:
            return
        self.logged = True
        line = {
            "event": "sftp_session",
            "partner": self.partner,
            "peer": self.peer,
            "authenticated": self.authenticated,
            "files": len(self.published),
            "bytes": self.bytes,
            "published": self.published,
            "aborted_uploads": self.aborted_uploads,
            "failed_uploads": self.failed_uploads,
            "result": self.result(),
            "error": self.error,
        }
        logger.info(json.dumps(line, ensure_ascii=False))


class _PartnerSsh(asyncssh.SSHServer):
    """Public-key authentication against the partner's key file; nothing else is offered."""

    def __init__(self, layout: SftpLayout) -> None:
        self._layout = layout
        self._conn: asyncssh.SSHServerConnection | None = None
        self.session = SessionLog(peer="")

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        peer = conn.get_extra_info("peername")
        self.session.peer = str(peer[0]) if peer else ""

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.connection_closed = True
        if exc is not None:
            self.session.error = type(exc).__name__
        self.session.finish_if_done()

    def begin_auth(self, username: str) -> bool:
        self.session.partner = username[:64]
        keys = self._layout.authorized_keys(username)
        # Always replaced: SSH lets a client change its user name between attempts, and the previous
        # user's keys must not carry over to the new name. No entries means every key is refused.
        if self._conn is not None:
            self._conn.set_authorized_keys(keys if keys is not None else asyncssh.SSHAuthorizedKeys())
        return True

    def auth_completed(self) -> None:
        self.session.authenticated = True

    def public_key_auth_supported(self) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False


class _Download:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd


@dataclass
class _Upload:
    fd: int
    partial: Path
    day: str
    name: str

    def fileno(self) -> int:
        return self.fd

    def discard(self) -> None:
        os.close(self.fd)
        self.partial.unlink(missing_ok=True)


class _PartnerSftp(asyncssh.SFTPServer):
    def __init__(
        self, chan: asyncssh.SSHServerChannel, layout: SftpLayout, publish: Callable[[str], Awaitable[None]]
    ) -> None:
        super().__init__(chan)
        self._layout = layout
        self._publish = publish
        self._partner: str = chan.get_extra_info("username")
        self._home = layout.home(self._partner)
        self._home.mkdir(parents=True, exist_ok=True)
        owner = cast(_PartnerSsh, chan.get_connection().get_owner())
        self._session = owner.session
        self._session.open_sftp_sessions += 1

    # --- paths -------------------------------------------------------------------------------

    def _resolve(self, path: bytes) -> tuple[tuple[str, ...], Path]:
        """The client's path as parts below the home, and its local path; links anywhere are refused."""
        try:
            text = path.decode("utf-8")
        except UnicodeDecodeError:
            raise asyncssh.SFTPNoSuchFile("file names must be UTF-8") from None
        if "\x00" in text:
            raise asyncssh.SFTPNoSuchFile("invalid file name")
        # Lexical, like a chroot: "/.." is "/", so nothing above the home can be named.
        parts = tuple(part for part in posixpath.normpath("/" + text).split("/") if part)
        current = self._home
        for part in ("", *parts):
            current = current / part if part else current
            try:
                mode = os.lstat(current).st_mode
            except (FileNotFoundError, NotADirectoryError):
                break  # nothing exists below a missing component
            if stat.S_ISLNK(mode):
                raise asyncssh.SFTPPermissionDenied("symbolic links are not followed on this server")
        return parts, self._home.joinpath(*parts)

    def map_path(self, path: bytes) -> bytes:
        # Every operation this server allows resolves paths itself; whatever reaches the default
        # implementation (remove, rename, setstat, readlink, ...) is refused here.
        raise asyncssh.SFTPPermissionDenied("only listing, downloading and uploading files are allowed")

    def realpath(self, path: bytes) -> bytes:
        parts, _ = self._resolve(path)
        return ("/" + "/".join(parts)).encode("utf-8")

    def lstat(self, path: bytes) -> os.stat_result:
        return os.lstat(self._resolve(path)[1])

    def stat(self, path: bytes) -> os.stat_result:
        return self.lstat(path)

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        _, local = self._resolve(path)
        own = os.lstat(local)
        with os.scandir(local) as entries:
            listed = sorted(entries, key=lambda entry: entry.name)
        yield asyncssh.SFTPName(b".", attrs=asyncssh.SFTPAttrs.from_local(own))
        yield asyncssh.SFTPName(b"..", attrs=asyncssh.SFTPAttrs.from_local(own))
        for entry in listed:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
                yield asyncssh.SFTPName(entry.name.encode("utf-8"), attrs=asyncssh.SFTPAttrs.from_local(info))

    def format_user(self, uid: int | None) -> str:
        return self._partner

    def format_group(self, gid: int | None) -> str:
        return self._partner

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        parts, local = self._resolve(path)
        if len(parts) != 1 or not _is_day(parts[0]):
            raise asyncssh.SFTPPermissionDenied("only day folders /YYYY-MM-DD can be created")
        os.mkdir(local, 0o755)

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("symbolic links cannot be created on this server")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("links cannot be created on this server")

    # --- files -------------------------------------------------------------------------------

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> _Download | _Upload:
        parts, local = self._resolve(path)
        if pflags & _WRITE_FLAGS:
            return self._begin_upload(parts, pflags)
        if not stat.S_ISREG(os.lstat(local).st_mode):
            raise asyncssh.SFTPPermissionDenied("only regular files can be read")
        return _Download(os.open(local, os.O_RDONLY | os.O_NOFOLLOW))

    def _begin_upload(self, parts: tuple[str, ...], pflags: int) -> _Upload:
        if pflags & (FXF_READ | FXF_APPEND) or not pflags & FXF_WRITE:
            raise asyncssh.SFTPOpUnsupported("uploads are write-only and whole-file: no append or resume")
        if len(parts) == 1:
            day, name = today_in_sao_paulo().isoformat(), parts[0]
        elif len(parts) == 2 and _is_day(parts[0]):
            day, name = parts
        else:
            raise asyncssh.SFTPPermissionDenied("upload to /<name> or /<YYYY-MM-DD>/<name>")
        if not FILE_NAME.fullmatch(name):
            raise asyncssh.SFTPPermissionDenied("file names are letters, digits, '.', '_' and '-' only")
        _, target = self._resolve(f"/{day}/{name}".encode())
        try:
            existing: int | None = os.lstat(target).st_mode
        except (FileNotFoundError, NotADirectoryError):
            existing = None
        if existing is not None:
            if pflags & FXF_EXCL:
                raise asyncssh.SFTPFileAlreadyExists("file already exists")
            if not stat.S_ISREG(existing):
                raise asyncssh.SFTPPermissionDenied("only regular files can be replaced")
        self._layout.partial_dir.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(
            prefix=f"{self._partner}-", suffix=".part", dir=self._layout.partial_dir
        )
        return _Upload(fd, Path(partial), day, name)

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        if not isinstance(file_obj, _Download):
            raise asyncssh.SFTPPermissionDenied("this file was opened for writing")
        return os.pread(file_obj.fd, size, offset)

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        if not isinstance(file_obj, _Upload):
            raise asyncssh.SFTPPermissionDenied("this file was opened for reading")
        view = memoryview(data)
        while view:
            written = os.pwrite(file_obj.fd, view, offset)
            view, offset = view[written:], offset + written
        return len(data)

    def fstat(self, file_obj: object) -> os.stat_result:
        return os.fstat(cast(_Download | _Upload, file_obj).fd)

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        raise asyncssh.SFTPOpUnsupported("file attributes are set by the server")

    def fsync(self, file_obj: object) -> None:
        os.fsync(cast(_Download | _Upload, file_obj).fd)

    async def close(self, file_obj: object) -> None:
        if isinstance(file_obj, _Download):
            os.close(file_obj.fd)
        elif isinstance(file_obj, _Upload):
            await self._finish_upload(file_obj)

    def _client_still_here(self) -> bool:
        # asyncssh closes the files left open when the client goes away through this same close();
        # only a close the client asked for while its channel is still open publishes. An upload
        # interrupted any other way (killed client, dropped connection, EOF) is discarded.
        return not self.channel.is_closing() and self.channel._recv_state == "open"

    async def _finish_upload(self, upload: _Upload) -> None:
        if not self._client_still_here():
            upload.discard()
            self._session.aborted_uploads += 1
            return
        key = self._layout.landing_key(self._partner, upload.day, upload.name)
        try:
            try:
                size = os.fstat(upload.fd).st_size
                os.fsync(upload.fd)
            finally:
                os.close(upload.fd)
            day_dir = self._home / upload.day
            if day_dir.is_symlink() or (day_dir.exists() and not day_dir.is_dir()):
                raise asyncssh.SFTPPermissionDenied(f"/{upload.day} is not a folder")
            day_dir.mkdir(exist_ok=True)
            os.replace(upload.partial, day_dir / upload.name)
        except (OSError, asyncssh.SFTPError):
            upload.partial.unlink(missing_ok=True)
            self._session.failed_uploads += 1
            raise
        self._session.published.append(key)
        self._session.bytes += size
        await self._publish(key)

    def exit(self) -> None:
        self._session.open_sftp_sessions -= 1
        self._session.finish_if_done()


def _is_day(name: str) -> bool:
    try:
        return dt.date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False


def _serialized_publisher(on_upload: OnUpload) -> Callable[[str], Awaitable[None]]:
    """Runs on_upload off the event loop, one key at a time, in upload order."""
    lock = asyncio.Lock()

    async def publish(key: str) -> None:
        async with lock:
            try:
                await asyncio.to_thread(on_upload, key)
            except Exception as exc:
                # The handler reports its own outcome; its message may quote the file, so only the type here.
                logger.error(
                    json.dumps({"event": "sftp_on_upload_failed", "key": key, "error": type(exc).__name__})
                )

    return publish


async def start_sftp_server(
    lake_root: Path, host: str, port: int, on_upload: OnUpload
) -> asyncssh.SSHAcceptor:
    """Starts listening (port 0 picks a free port: see ``acceptor.get_port()``); stop with ``close()``."""
    layout = SftpLayout(lake_root.resolve())
    layout.keys_dir.mkdir(parents=True, exist_ok=True)
    host_key = load_or_create_host_key(layout.host_key_path)
    publish = _serialized_publisher(on_upload)
    acceptor = await asyncssh.create_server(
        lambda: _PartnerSsh(layout),
        host,
        port,
        server_host_keys=[host_key],
        sftp_factory=lambda chan: _PartnerSftp(chan, layout, publish),
        allow_scp=False,
        allow_pty=False,
        agent_forwarding=False,
        x11_forwarding=False,
        gss_host=None,
        login_timeout=60,
    )
    logger.info(
        json.dumps(
            {
                "event": "sftp_listening",
                "host": host,
                "port": acceptor.get_port(),
                "host_key": host_key.get_fingerprint(),
                "keys_dir": str(layout.keys_dir),
            }
        )
    )
    return acceptor


def serve_forever(lake_root: Path, host: str, port: int, on_upload: OnUpload) -> None:
    """Blocks serving partners until interrupted (Ctrl-C)."""

    async def run() -> None:
        acceptor = await start_sftp_server(lake_root, host, port, on_upload)
        try:
            await acceptor.wait_closed()
        finally:
            acceptor.close()

    # asyncssh logs every connection step at INFO; our one line per session is the record.
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    asyncio.run(run())
