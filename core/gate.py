"""The day gate: a source's daily job starts exactly once, when the last of its expected files is in.

Each converted file records its arrival; the call that finds the set complete tries to *claim* the day
with a write that only one writer can win (``O_CREAT | O_EXCL`` locally, an S3 conditional put with
``If-None-Match: *`` on AWS). Duplicate and concurrent deliveries, retries and reruns therefore start
the job once. If starting the job fails the claim is released, so a retry of the same event can start
it. The ledger lives in the lake under ``reports/gates/<source>/<day>/``, readable by people and by
:meth:`DayGate.status` (which files are in, missing or rejected).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core import layout as lake
from core.launchers import JobLauncher

ARRIVED = "arrived"
REJECTED = "rejected"
CLAIM = "claim.json"
STARTED = "started.json"


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


def _check_expected(name: str, expected: Collection[str]) -> None:
    if name not in expected:
        raise ValueError(f"{name!r} is not one of the expected files {sorted(expected)}")


class LocalDayGate:
    """The ledger as files below the lake root; the claim is an exclusive create, atomic across processes."""

    def __init__(self, lake_root: Path) -> None:
        self.root = lake_root

    def _folder(self, source: str, day: str) -> Path:
        return self.root / gate_prefix(source, day)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)

    def _names(self, folder: Path) -> dict[str, dict[str, Any]]:
        if not folder.is_dir():
            return {}
        found = {}
        for path in folder.glob("*.json"):
            payload = json.loads(path.read_text(encoding="utf-8"))
            found[str(payload["name"])] = payload
        return found

    def record_arrival(
        self,
        source: str,
        day: str,
        name: str,
        expected: Collection[str],
        detail: Mapping[str, Any] | None = None,
    ) -> bool:
        _check_expected(name, expected)
        folder = self._folder(source, day)
        self._write(folder / ARRIVED / f"{lake.safe_name(name)}.json", _marker(name, detail))
        arrived = {path.stem for path in (folder / ARRIVED).glob("*.json")}
        if not {lake.safe_name(item) for item in expected} <= arrived:
            return False
        try:
            fd = os.open(folder / CLAIM, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(_marker(name, {"claimed_by": name}))
        return True

    def record_rejection(self, source: str, day: str, name: str, reason: str) -> None:
        self._write(
            self._folder(source, day) / REJECTED / f"{lake.safe_name(name)}.json",
            _marker(name, {"reason": reason}),
        )

    def record_start(self, source: str, day: str, run_id: str) -> None:
        self._write(self._folder(source, day) / STARTED, _marker(source, {"run_id": run_id}))

    def release(self, source: str, day: str) -> None:
        (self._folder(source, day) / CLAIM).unlink(missing_ok=True)

    def status(self, source: str, day: str, expected: Collection[str]) -> GateStatus:
        folder = self._folder(source, day)
        arrived = frozenset(self._names(folder / ARRIVED))
        rejected = {
            name: str(item.get("reason", ""))
            for name, item in self._names(folder / REJECTED).items()
            if name not in arrived
        }
        started = folder / STARTED
        run_id = json.loads(started.read_text(encoding="utf-8"))["run_id"] if started.is_file() else None
        return GateStatus(
            source, day, frozenset(expected), arrived, rejected, (folder / CLAIM).is_file(), run_id
        )


class S3DayGate:
    """The same ledger in the lake bucket; the claim is ``PutObject`` with ``If-None-Match: *``.

    S3 is strongly consistent (read-after-write and list-after-write), so the arrival written before
    the listing is always seen by the last caller, and only one conditional put of the claim succeeds.
    """

    CONFLICT_RETRIES = 5

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def _names(self, prefix: str) -> dict[str, dict[str, Any]]:
        found = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix + "/"
        ):
            for item in page.get("Contents", []):
                body = self.client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                payload = json.loads(body)
                found[str(payload["name"])] = payload
        return found

    def _arrived(self, prefix: str) -> set[str]:
        # Names come from the keys alone: one LIST instead of a GET per marker on the hot path.
        names: set[str] = set()
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{prefix}/{ARRIVED}/"
        ):
            names.update(
                item["Key"].rsplit("/", 1)[-1].removesuffix(".json") for item in page.get("Contents", [])
            )
        return names

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
        self.client.put_object(
            Bucket=self.bucket,
            Key=f"{prefix}/{ARRIVED}/{lake.safe_name(name)}.json",
            Body=_marker(name, detail),
        )
        if not {lake.safe_name(item) for item in expected} <= self._arrived(prefix):
            return False
        return self._claim(f"{prefix}/{CLAIM}", _marker(name, {"claimed_by": name}))

    def _claim(self, key: str, body: bytes) -> bool:
        for _ in range(self.CONFLICT_RETRIES):
            try:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*")
            except self.client.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code == "PreconditionFailed":
                    return False
                if code == "ConditionalRequestConflict":  # another conditional put in flight: ask again
                    continue
                raise
            return True
        raise RuntimeError(f"s3://{self.bucket}/{key}: conditional put kept conflicting")

    def record_rejection(self, source: str, day: str, name: str, reason: str) -> None:
        key = f"{gate_prefix(source, day)}/{REJECTED}/{lake.safe_name(name)}.json"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=_marker(name, {"reason": reason}))

    def record_start(self, source: str, day: str, run_id: str) -> None:
        key = f"{gate_prefix(source, day)}/{STARTED}"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=_marker(source, {"run_id": run_id}))

    def release(self, source: str, day: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=f"{gate_prefix(source, day)}/{CLAIM}")

    def _read(self, key: str) -> dict[str, Any] | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        payload: dict[str, Any] = json.loads(body)
        return payload

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
        return GateStatus(
            source,
            day,
            frozenset(expected),
            arrived,
            rejected,
            claimed,
            started["run_id"] if started else None,
        )


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
