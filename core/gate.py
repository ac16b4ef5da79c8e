"""The day gate: a source's daily job starts exactly once, when the last of its expected files is in.

Each converted file records its arrival; the call that finds the set complete tries to *claim* the day
with a write that only one writer can win (``O_CREAT | O_EXCL`` locally, an S3 conditional put with
``If-None-Match: *`` on AWS). Duplicate and concurrent deliveries, retries and reruns therefore start
the job once. If starting the job fails the claim is released, so a retry of the same event can start
it. The ledger lives in the lake under ``reports/gates/<source>/<day>/``, readable by people and by
:meth:`DayGate.status` (which files are in, missing or rejected).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core import layout as lake
from core.launchers import JobLauncher

ARRIVED = "arrived"
REJECTED = "rejected"
CLAIM = "claim.json"
CLAIM_LOCK = ".claim.lock"
STARTED = "started.json"
# A local claim's owner is checked for liveness; the lease only matters for a claim made on another host.
LOCAL_LEASE = dt.timedelta(hours=6)
# On S3 the claim covers the handler between the claim and StartJobRun (a Lambda runs 15 minutes at most).
S3_LEASE = dt.timedelta(minutes=15)


def gate_prefix(source: str, day: str) -> str:
    return f"{lake.REPORTS}/gates/{lake.safe_name(source)}/{day}"


@dataclass(frozen=True)
class GateStatus:
    source: str
    day: str
    expected: frozenset[str]
    arrived: frozenset[str]
    rejected: Mapping[str, str] = field(default_factory=dict)  # name -> reason, for names not arrived since
    claimed: bool = False
    run_id: str | None = None

    @property
    def missing(self) -> list[str]:
        """Expected names not arrived, rejected ones included."""
        return sorted(self.expected - self.arrived)

    @property
    def complete(self) -> bool:
        return not self.missing


class DayGate(Protocol):
    def record_arrival(
        self,
        source: str,
        day: str,
        name: str,
        expected: Collection[str],
        detail: Mapping[str, Any] | None = None,
    ) -> bool:
        """Records ``name`` as in; True for exactly one call per (source, day): the one that claims the complete set."""
        ...

    def record_rejection(self, source: str, day: str, name: str, reason: str) -> None: ...

    def record_start(self, source: str, day: str, run_id: str) -> None: ...

    def release(self, source: str, day: str) -> None:
        """Gives the claim back (the job could not be started), so the next arrival call can claim again."""
        ...

    def status(self, source: str, day: str, expected: Collection[str]) -> GateStatus: ...


def _marker(name: str, detail: Mapping[str, Any] | None) -> bytes:
    return (
        json.dumps({"name": name, **(detail or {})}, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    ).encode()


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), which a reused pid does not share."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _process_alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by another user
    return started is None or _process_start(pid) in {None, started}


def claim_payload(name: str, lease: dt.timedelta, now: dt.datetime | None = None) -> bytes:
    """The claim's body: who claimed (for the liveness check) and until when the lease holds."""
    moment = now or dt.datetime.now(tz=dt.UTC)
    pid = os.getpid()
    owner = {"pid": pid, "host": socket.gethostname(), "process_start": _process_start(pid)}
    return _marker(
        name,
        {
            "claimed_by": name,
            "owner": owner,
            "claimed_at": moment.isoformat(timespec="seconds"),
            "lease_expires_at": (moment + lease).isoformat(timespec="seconds"),
        },
    )


def claim_is_stale(claim: Mapping[str, Any], *, check_owner: bool, now: dt.datetime | None = None) -> bool:
    """Whether a claim (of a day whose job has not recorded its start) was left by a dead or lapsed owner.

    With ``check_owner`` a claim made on this host is stale exactly when its process is gone; any other
    claim is stale when its lease has expired. A claim without owner or lease (written before leases
    existed) is stale.
    """
    owner = claim.get("owner") or {}
    if check_owner and owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int):
        return not _process_alive(owner["pid"], owner.get("process_start"))
    expires = claim.get("lease_expires_at")
    if not isinstance(expires, str):
        return True
    return dt.datetime.fromisoformat(expires) <= (now or dt.datetime.now(tz=dt.UTC))


def _check_expected(name: str, expected: Collection[str]) -> None:
    if name not in expected:
        raise ValueError(f"{name!r} is not one of the expected files {sorted(expected)}")


class _Ledger(ABC):
    """What both gates share: the ledger's layout, the arrival check, the takeover of a stale claim and
    the status. A subclass stores the markers (``_put``, ``_read``, ``_keys``) and makes the claim
    atomic (``_claim``, ``release``)."""

    # Whether a claim made on this host is judged by its owner process being alive (see claim_is_stale).
    checks_claim_owner = False

    def __init__(self, lease: dt.timedelta) -> None:
        self.lease = lease

    @abstractmethod
    def _put(self, key: str, data: bytes) -> None:
        ...

    @abstractmethod
    def _read(self, key: str) -> bytes | None:
        """The marker's bytes, None when there is none."""
        ...

    @abstractmethod
    def _keys(self, prefix: str) -> list[str]:
        """Keys of the markers directly below ``prefix``."""
        ...

    @abstractmethod
    def _claim(self, prefix: str, name: str) -> bool:
        """Writes the day's claim for ``name`` if nobody holds it (or its holder is stale); True if won."""
        ...

    @abstractmethod
    def release(self, source: str, day: str) -> None:
        """Gives the claim back (the job could not be started), so the next arrival call can claim again."""
        ...

    def _names(self, prefix: str) -> dict[str, dict[str, Any]]:
        found = {}
        for key in self._keys(prefix):
            body = self._read(key)
            if body is not None:
                payload = json.loads(body)
                found[str(payload["name"])] = payload
        return found

    def _takeover(self, prefix: str, held: bytes, name: str) -> bytes | None:
        """The claim that replaces ``held``, or None while the job has started or the holder may go on."""
        if self._read(f"{prefix}/{STARTED}") is not None:
            return None
        claim = json.loads(held or b"{}")
        if not claim_is_stale(claim, check_owner=self.checks_claim_owner):
            return None
        body = json.loads(claim_payload(name, self.lease))
        body["recovered_from"] = {key: claim.get(key) for key in ("owner", "claimed_at") if key in claim}
        return (json.dumps(body, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()

    def record_arrival(
        self,
        source: str,
        day: str,
        name: str,
        expected: Collection[str],
        detail: Mapping[str, Any] | None = None,
    ) -> bool:
        _check_expected(name, expected)
        prefix = gate_prefix(source, day)
        self._put(f"{prefix}/{ARRIVED}/{lake.safe_name(name)}.json", _marker(name, detail))
        # Names come from the keys alone: one listing instead of a read per marker on the hot path.
        arrived = {key.rsplit("/", 1)[-1].removesuffix(".json") for key in self._keys(f"{prefix}/{ARRIVED}")}
        if not {lake.safe_name(item) for item in expected} <= arrived:
            return False
        return self._claim(prefix, name)

    def record_rejection(self, source: str, day: str, name: str, reason: str) -> None:
        key = f"{gate_prefix(source, day)}/{REJECTED}/{lake.safe_name(name)}.json"
        self._put(key, _marker(name, {"reason": reason}))

    def record_start(self, source: str, day: str, run_id: str) -> None:
        self._put(f"{gate_prefix(source, day)}/{STARTED}", _marker(source, {"run_id": run_id}))

    def status(self, source: str, day: str, expected: Collection[str]) -> GateStatus:
        prefix = gate_prefix(source, day)
        arrived = frozenset(self._names(f"{prefix}/{ARRIVED}"))
        rejected = {
            name: str(item.get("reason", ""))
            for name, item in self._names(f"{prefix}/{REJECTED}").items()
            if name not in arrived
        }
        started = self._read(f"{prefix}/{STARTED}")
        claimed = self._read(f"{prefix}/{CLAIM}") is not None
        run_id = json.loads(started)["run_id"] if started is not None else None
        return GateStatus(source, day, frozenset(expected), arrived, rejected, claimed, run_id)


class LocalDayGate(_Ledger):
    """The ledger as files below the lake root; the claim is made and recovered under an exclusive ``flock``."""

    checks_claim_owner = True

    def __init__(self, lake_root: Path, lease: dt.timedelta = LOCAL_LEASE) -> None:
        super().__init__(lease)
        self.root = lake_root

    def _put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)

    def _read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def _keys(self, prefix: str) -> list[str]:
        folder = self.root / prefix
        return [f"{prefix}/{path.name}" for path in folder.glob("*.json")] if folder.is_dir() else []

    @contextmanager
    def _claim_lock(self, prefix: str) -> Iterator[None]:
        fd = os.open(self.root / prefix / CLAIM_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held for a few file operations; released if we die
            yield
        finally:
            os.close(fd)

    def _claim(self, prefix: str, name: str) -> bool:
        key = f"{prefix}/{CLAIM}"
        with self._claim_lock(prefix):
            held = self._read(key)
            body = claim_payload(name, self.lease) if held is None else self._takeover(prefix, held, name)
            if body is None:
                return False
            self._put(key, body)
            return True

    def release(self, source: str, day: str) -> None:
        prefix = gate_prefix(source, day)
        if (self.root / prefix).is_dir():
            with self._claim_lock(prefix):
                (self.root / prefix / CLAIM).unlink(missing_ok=True)


class S3DayGate(_Ledger):
    """The same ledger in the lake bucket; the claim is ``PutObject`` with ``If-None-Match: *``.

    S3 is strongly consistent (read-after-write and list-after-write), so the arrival written before
    the listing is always seen by the last caller, and only one conditional put of the claim succeeds.
    """

    CONFLICT_RETRIES = 5

    def __init__(self, bucket: str, client: Any, lease: dt.timedelta = S3_LEASE) -> None:
        super().__init__(lease)
        self.bucket = bucket
        self.client = client

    def _put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def _read(self, key: str) -> bytes | None:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        return body

    def _keys(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix + "/")
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def _claim(self, prefix: str, name: str) -> bool:
        key, fresh = f"{prefix}/{CLAIM}", claim_payload(name, self.lease)
        if self._conditional_put(key, fresh, IfNoneMatch="*"):
            return True
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:  # released meanwhile: claim it afresh
            return self._conditional_put(key, fresh, IfNoneMatch="*")
        # Overwrites the stale claim only if it is still the object judged stale.
        body = self._takeover(prefix, response["Body"].read(), name)
        return body is not None and self._conditional_put(key, body, IfMatch=response["ETag"])

    def _conditional_put(self, key: str, body: bytes, **condition: str) -> bool:
        for _ in range(self.CONFLICT_RETRIES):
            try:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **condition)
            except self.client.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in {"PreconditionFailed", "NoSuchKey"}:
                    return False
                if code == "ConditionalRequestConflict":  # another conditional put in flight: ask again
                    continue
                raise
            return True
        raise RuntimeError(f"s3://{self.bucket}/{key}: conditional put kept conflicting")

    def release(self, source: str, day: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=f"{gate_prefix(source, day)}/{CLAIM}")


def open_day(
    gate: DayGate,
    launcher: JobLauncher,
    job_name: str,
    source: str,
    day: str,
    name: str,
    expected: Collection[str],
    detail: Mapping[str, Any] | None = None,
    arguments: Mapping[str, str] | None = None,
) -> str | None:
    """Records the arrival of ``name``; when it completes the day, starts the job once and returns its run id.

    The job gets ``arguments``, by default ``{"--day": day}`` (Glue's argument convention).
    """
    if not gate.record_arrival(source, day, name, expected, detail):
        return None
    try:
        run_id = launcher.start_job_run(
            job_name, dict(arguments) if arguments is not None else {"--day": day}
        )
    except BaseException:
        gate.release(source, day)
        raise
    gate.record_start(source, day, run_id)
    return run_id
