"""The day gate starts a day's job exactly once, under duplicate and concurrent deliveries."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from core.gate import DayGate, LocalDayGate, S3DayGate, open_day

EXPECTED = [f"file_{index}" for index in range(7)]
# Ten deliveries per round: the seven files plus three duplicates of them.
DELIVERIES = [*EXPECTED, "file_0", "file_3", "file_6"]
ROUNDS = 100
# Each S3 round is ~25 HTTP calls to the moto server; 20 concurrent rounds keep the test within seconds.
S3_ROUNDS = 20


def _concurrent_round(gates: list[DayGate], day: str) -> int:
    barrier = threading.Barrier(len(DELIVERIES))
    opened: list[bool] = []
    errors: list[BaseException] = []

    def deliver(index: int, name: str) -> None:
        try:
            barrier.wait()
            opened.append(gates[index % len(gates)].record_arrival("positional", day, name, EXPECTED))
        except BaseException as exc:  # surfaced below, a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=item) for item in enumerate(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return sum(opened)


def test_the_last_of_the_expected_files_opens_the_day_once(tmp_path: Path) -> None:
    gate = LocalDayGate(tmp_path)
    assert [gate.record_arrival("positional", "2024-01-15", name, EXPECTED) for name in EXPECTED] == [
        False
    ] * 6 + [True]
    assert not gate.record_arrival(
        "positional", "2024-01-15", "file_2", EXPECTED
    )  # a redelivery after the start
    assert gate.status("positional", "2024-01-15", EXPECTED).claimed


def test_status_tells_which_files_are_missing_or_rejected(tmp_path: Path) -> None:
    gate = LocalDayGate(tmp_path)
    gate.record_arrival("positional", "2024-01-15", "file_0", EXPECTED)
    gate.record_rejection("positional", "2024-01-15", "file_1", "trailer says 3 records, the file has 2")
    status = gate.status("positional", "2024-01-15", EXPECTED)
    assert status.missing == EXPECTED[1:]
    assert status.rejected == {"file_1": "trailer says 3 records, the file has 2"}
    assert not status.complete and not status.claimed

    gate.record_arrival("positional", "2024-01-15", "file_1", EXPECTED)  # the corrected file
    assert gate.status("positional", "2024-01-15", EXPECTED).rejected == {}


def test_an_unexpected_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not one of the expected files"):
        LocalDayGate(tmp_path).record_arrival("positional", "2024-01-15", "other", EXPECTED)


def test_concurrent_duplicate_deliveries_from_threads_open_each_day_exactly_once(tmp_path: Path) -> None:
    gates: list[DayGate] = [LocalDayGate(tmp_path) for _ in range(4)]
    starts = [_concurrent_round(gates, f"day-{round_:03d}") for round_ in range(ROUNDS)]
    assert starts == [1] * ROUNDS


def _process_worker(root: str, name: str, barrier: Any, results: Any) -> None:
    gate = LocalDayGate(Path(root))
    for round_ in range(ROUNDS):
        barrier.wait()
        results.put((round_, gate.record_arrival("positional", f"day-{round_:03d}", name, EXPECTED)))


def test_concurrent_duplicate_deliveries_from_processes_open_each_day_exactly_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(DELIVERIES))
    results = context.Queue()
    workers = [
        context.Process(target=_process_worker, args=(str(tmp_path), name, barrier, results))
        for name in DELIVERIES
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in range(ROUNDS * len(DELIVERIES))]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    starts = [0] * ROUNDS
    for round_, opened in outcomes:
        starts[round_] += opened
    assert starts == [1] * ROUNDS


class RecordingLauncher:
    def __init__(self, fail_times: int = 0) -> None:
        self.runs: list[tuple[str, dict[str, str]]] = []
        self.fail_times = fail_times
        self.lock = threading.Lock()

    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
        with self.lock:
            if self.fail_times:
                self.fail_times -= 1
                raise RuntimeError("Glue is throttling")
            self.runs.append((job_name, arguments))
            return f"jr_{len(self.runs)}"


def test_open_day_starts_the_job_once_with_the_day(tmp_path: Path) -> None:
    gate, launcher = LocalDayGate(tmp_path), RecordingLauncher()
    run_ids = [
        open_day(gate, launcher, "positional-day", "positional", "2024-01-15", name, EXPECTED)
        for name in DELIVERIES
    ]
    assert [run_id for run_id in run_ids if run_id] == ["jr_1"]
    assert launcher.runs == [("positional-day", {"--day": "2024-01-15"})]
    assert gate.status("positional", "2024-01-15", EXPECTED).run_id == "jr_1"


def test_a_failed_start_releases_the_day_so_a_retry_starts_it(tmp_path: Path) -> None:
    gate, launcher = LocalDayGate(tmp_path), RecordingLauncher(fail_times=1)
    for name in EXPECTED[:-1]:
        open_day(gate, launcher, "job", "positional", "2024-01-15", name, EXPECTED)
    with pytest.raises(RuntimeError, match="throttling"):
        open_day(gate, launcher, "job", "positional", "2024-01-15", EXPECTED[-1], EXPECTED)
    assert not gate.status("positional", "2024-01-15", EXPECTED).claimed
    # The event is retried (Lambda retries a failed invocation): now the job starts, once.
    assert open_day(gate, launcher, "job", "positional", "2024-01-15", EXPECTED[-1], EXPECTED) == "jr_1"
    assert open_day(gate, launcher, "job", "positional", "2024-01-15", EXPECTED[-1], EXPECTED) is None
    assert len(launcher.runs) == 1


@pytest.fixture
def serialized_moto_conditional_puts() -> Iterator[None]:
    """Real S3 decides a conditional put atomically; moto checks then writes, so under threads two
    racing puts could both pass its check. Serialising moto's PutObject restores S3's guarantee
    without touching the gate's code path (the requests still carry If-None-Match over HTTP)."""
    from moto.s3.responses import S3Response

    original: Callable[..., Any] = S3Response.put_object
    lock = threading.Lock()

    def put_object(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    S3Response.put_object = put_object  # type: ignore[method-assign]
    try:
        yield
    finally:
        S3Response.put_object = original  # type: ignore[method-assign]


@pytest.fixture
def bucket(aws_environment: str, serialized_moto_conditional_puts: None) -> Iterator[str]:
    name = f"gate-lake-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": keys})
    s3.delete_bucket(Bucket=name)


def test_the_s3_gate_claims_with_a_conditional_put_that_moto_honours(bucket: str) -> None:
    s3 = boto3.client("s3")
    gate = S3DayGate(bucket, s3)
    assert [gate.record_arrival("client_health", "2025-03-10", name, ["a", "b", "c"]) for name in "abca"] == [
        False,
        False,
        True,
        False,
    ]
    gate.record_rejection("client_health", "2025-03-11", "b", "not parquet")
    status = gate.status("client_health", "2025-03-11", ["a", "b", "c"])
    assert status.missing == ["a", "b", "c"] and status.rejected == {"b": "not parquet"}
    with pytest.raises(s3.exceptions.ClientError, match="PreconditionFailed"):
        s3.put_object(
            Bucket=bucket,
            Key="reports/gates/client_health/2025-03-10/claim.json",
            Body=b"{}",
            IfNoneMatch="*",
        )


def test_concurrent_duplicate_deliveries_against_s3_open_each_day_exactly_once(bucket: str) -> None:
    gates: list[DayGate] = [S3DayGate(bucket, boto3.client("s3")) for _ in range(len(DELIVERIES))]
    starts = [_concurrent_round(gates, f"2024-01-{round_:03d}") for round_ in range(S3_ROUNDS)]
    assert starts == [1] * S3_ROUNDS
