"""The Lambda: S3 event -> bronze Parquet -> day gate -> the day's job, locally and against moto."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.gate import LocalDayGate
from core.storage import LocalObjectStore, S3ObjectStore
from ingestion.positional.converter import landing_key
from ingestion.positional.layout import load_layouts
from ingestion.positional.sample_data import write_sample_day
from lambdas.positional_to_parquet.handler import handler
from orchestration.events import object_created_event

DAY = "2024-01-15"
EXPECTED = sorted(load_layouts())


class RecordingLauncher:
    def __init__(self) -> None:
        self.runs: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
        with self.lock:
            self.runs.append((job_name, arguments))
            return f"jr_{len(self.runs)}"


@pytest.fixture
def local_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[LocalObjectStore, RecordingLauncher]:
    monkeypatch.setenv("LAKEHOUSE_BACKEND", "local")
    monkeypatch.setenv("LAKEHOUSE_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("LAKEHOUSE_GLUE_JOB_POSITIONAL", "positional-day")
    launcher = RecordingLauncher()
    monkeypatch.setattr("core.backend.local_glue_launcher", lambda _settings, _layout: launcher)
    return LocalObjectStore(tmp_path / "lake"), launcher


def _event(store: LocalObjectStore, key: str) -> dict[str, Any]:
    info = store.head(key)
    return object_created_event("lakehouse-local", key, info.size, info.etag, "2024-01-15T10:00:00.000Z")


def test_seven_files_with_concurrent_duplicates_start_the_day_once(
    local_lake: tuple[LocalObjectStore, RecordingLauncher],
) -> None:
    store, launcher = local_lake
    keys = write_sample_day(store, DAY, rows=60, seed=11)
    deliveries = [*keys, keys[0], keys[3], keys[6]]
    outcomes: list[dict[str, Any]] = []
    barrier = threading.Barrier(len(deliveries))

    def deliver(key: str) -> None:
        barrier.wait()
        outcomes.extend(handler(_event(store, key), None))

    threads = [threading.Thread(target=deliver, args=(key,)) for key in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert launcher.runs == [("positional-day", {"--day": DAY})]
    assert [outcome["job_run_id"] for outcome in outcomes if outcome["job_run_id"]] == ["jr_1"]
    assert all(outcome["status"] == "landed" for outcome in outcomes)
    assert all(
        outcome["rows_read"] == outcome["rows_landed"] + outcome["rows_quarantined"] for outcome in outcomes
    )
    status = LocalDayGate(store.root).status("positional", DAY, EXPECTED)
    assert status.complete and status.run_id == "jr_1"
    for layout in EXPECTED:
        assert list(store.path(f"bronze/positional/{layout}/ingestion_date={DAY}").glob("*.parquet"))


def test_an_url_encoded_key_is_decoded(local_lake: tuple[LocalObjectStore, RecordingLauncher]) -> None:
    store, _ = local_lake
    key = landing_key(DAY, "CONTRATOS_20240115 (reenvio).TXT")
    store.write_bytes(key, b"0000000001BASICIndividual0001\n")
    event = _event(store, key)
    assert "+%28reenvio%29" in event["Records"][0]["s3"]["object"]["key"]

    (outcome,) = handler(event, None)

    assert (outcome["layout"], outcome["status"], outcome["rows_landed"]) == ("contracts", "landed", 1)
    assert outcome["key"] == key


def test_a_rejected_file_is_reported_at_the_gate_and_does_not_count(
    local_lake: tuple[LocalObjectStore, RecordingLauncher],
) -> None:
    store, launcher = local_lake
    keys = write_sample_day(store, DAY, rows=30, seed=5)
    payments = next(key for key in keys if "PAGAMENTOS" in key)
    text = store.read_bytes(payments).decode("cp1252").replace("TRL", "XYZ")
    store.write_bytes(payments, text.encode("cp1252"))

    outcomes = [handler(_event(store, key), None)[0] for key in keys]

    assert not launcher.runs
    status = LocalDayGate(store.root).status("positional", DAY, EXPECTED)
    assert status.missing == ["payments"]
    assert "is not a trailer record" in status.rejected["payments"]
    assert [outcome["status"] for outcome in outcomes].count("quarantined") == 1


@pytest.fixture
def aws_lake(aws_environment: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, str]]:
    bucket = f"positional-lake-{uuid.uuid4().hex[:8]}"
    job = "positional-day"
    monkeypatch.setenv("LAKEHOUSE_BACKEND", "aws")
    monkeypatch.setenv("LAKEHOUSE_BUCKET", bucket)
    monkeypatch.setenv("LAKEHOUSE_GLUE_JOB_POSITIONAL", job)
    s3, glue = boto3.client("s3"), boto3.client("glue")
    s3.create_bucket(Bucket=bucket)
    if job not in [item["Name"] for item in glue.get_jobs()["Jobs"]]:
        glue.create_job(
            Name=job,
            Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": "s3://x/y.py"},
        )
    yield s3, glue, bucket
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def test_on_aws_the_files_land_in_s3_and_glue_starts_once(aws_lake: tuple[Any, Any, str]) -> None:
    s3, glue, bucket = aws_lake
    store = S3ObjectStore(bucket, s3)
    keys = write_sample_day(store, DAY, rows=40, seed=2)
    runs_before = len(glue.get_job_runs(JobName="positional-day")["JobRuns"])

    results = []
    for key in [*keys, keys[1]]:
        head = s3.head_object(Bucket=bucket, Key=key)
        event = object_created_event(
            bucket, key, head["ContentLength"], head["ETag"].strip('"'), "2024-01-15T10:00:00.000Z"
        )
        results.extend(handler(event, None))

    started = [result["job_run_id"] for result in results if result["job_run_id"]]
    assert len(started) == 1
    runs = glue.get_job_runs(JobName="positional-day")["JobRuns"]
    assert len(runs) == runs_before + 1
    assert next(run for run in runs if run["Id"] == started[0])["Arguments"] == {"--day": DAY}
    listed = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    contracts = f"bronze/positional/contracts/ingestion_date={DAY}/CONTRATOS_20240115.TXT.parquet"
    assert contracts in listed
    assert f"reports/gates/positional/{DAY}/claim.json" in listed
    assert not any(".tmp-" in key for key in listed)
    body = s3.get_object(Bucket=bucket, Key=contracts)["Body"].read()
    table = pq.read_table(pa.BufferReader(body))
    assert table.num_rows == next(
        result["rows_landed"] for result in results if result["layout"] == "contracts"
    )
