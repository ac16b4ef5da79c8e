"""The AWS edges: the Lambda handler against S3 + Glue (moto) with the S3 day gate, and the pseudonym key
from Secrets Manager; locally, the key generated once outside the lake."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from core.secrets import SecretUnavailableError
from core.settings import Backend, Settings
from glue_jobs import client_health_to_bronze
from ingestion.client_health.contract import FORMATS, landing_key
from ingestion.client_health.pseudonym import PseudonymKeyError, local_key, resolve_pseudonym_key
from ingestion.client_health.sample_data import write_client_health_day
from lambdas.client_files_landed.handler import handler
from orchestration.events import object_created_event

BUCKET = "client-health-lake"
JOB = "client-health-to-bronze"
DAY = "2025-03-10"


@pytest.fixture
def aws(aws_environment: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setenv("LAKEHOUSE_BACKEND", "aws")
    monkeypatch.setenv("LAKEHOUSE_BUCKET", BUCKET)
    s3, glue = boto3.client("s3"), boto3.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    if JOB not in [job["Name"] for job in glue.get_jobs()["Jobs"]]:
        glue.create_job(
            Name=JOB,
            Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": "s3://x/y.py"},
        )
    yield s3, glue
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])


def test_the_handler_starts_the_glue_job_once_per_day(aws: tuple[Any, Any], tmp_path: Path) -> None:
    s3, glue = aws
    write_client_health_day(tmp_path, dt.date.fromisoformat(DAY), rows=30, seed=2)
    events = {}
    for fmt in FORMATS:
        key = landing_key(DAY, fmt)
        s3.put_object(Bucket=BUCKET, Key=key, Body=(tmp_path / key.removeprefix("landing/")).read_bytes())
        head = s3.head_object(Bucket=BUCKET, Key=key)
        events[fmt] = object_created_event(
            BUCKET, key, head["ContentLength"], head["ETag"].strip('"'), "2025-03-10T09:00:00.000Z"
        )
    runs_before = len(glue.get_job_runs(JobName=JOB)["JobRuns"])

    actions = [handler(events[fmt], None)[0] for fmt in ("csv", "parquet", "json", "json")]

    assert [action["action"] for action in actions] == ["waiting", "waiting", "job_started", "waiting"]
    runs = glue.get_job_runs(JobName=JOB)["JobRuns"]
    assert len(runs) == runs_before + 1
    started = next(run for run in runs if run["Id"] == actions[2]["detail"])
    assert started["Arguments"] == {
        "--lake_uri": f"s3://{BUCKET}",
        "--day": DAY,
        "--ingested_at": "2025-03-10T09:00:00.000Z",
    }


def test_on_aws_the_key_comes_from_secrets_manager(aws_environment: str) -> None:
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="lakehouse/pseudonym-key-test", SecretString="from-secrets-manager")
    settings = Settings(backend=Backend.AWS, pseudonym_key_secret_id="lakehouse/pseudonym-key-test")
    assert resolve_pseudonym_key(settings).get_secret_value() == "from-secrets-manager"
    with pytest.raises(PseudonymKeyError, match="LAKEHOUSE_PSEUDONYM_KEY_SECRET_ID"):
        resolve_pseudonym_key(Settings(backend=Backend.AWS))


def test_locally_a_key_is_generated_once_outside_the_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAKEHOUSE_PSEUDONYM_KEY", raising=False)
    lake, key_file = tmp_path / "lake", tmp_path / "config" / "pseudonym.key"
    settings = Settings(lake=lake, pseudonym_key_file=key_file)
    first = resolve_pseudonym_key(settings).get_secret_value()
    assert len(first) == 64 and resolve_pseudonym_key(settings).get_secret_value() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with pytest.raises(PseudonymKeyError, match="inside the lake"):
        local_key(lake / "pseudonym.key", lake)
    configured = Settings(lake=lake, pseudonym_key_file=key_file, pseudonym_key="configured")
    assert resolve_pseudonym_key(configured).get_secret_value() == "configured"


def test_the_glue_job_reads_the_secret_named_by_its_arguments_before_any_file(
    aws: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template passes ``--pseudonym_key_secret_id``; a secret that cannot be read fails the job run,
    naming the secret (never a value), before Spark starts or anything is written."""
    s3, _glue = aws
    monkeypatch.delenv("LAKEHOUSE_PSEUDONYM_KEY", raising=False)
    arguments = [
        "client_health_to_bronze", "--lake_uri", f"s3://{BUCKET}", "--day", DAY,
        "--ingested_at", f"{DAY}T09:00:00.000Z", "--pseudonym_key_secret_id", "lakehouse/no-such-key",
    ]  # fmt: skip

    def no_spark() -> None:
        raise AssertionError("Spark started before the key was read")

    monkeypatch.setattr(client_health_to_bronze, "job_spark_session", no_spark)
    with pytest.raises(SecretUnavailableError, match="lakehouse/no-such-key"):
        client_health_to_bronze.main(arguments)
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
