"""`run --backend aws`: S3 events built from the bucket reach the same handlers; the CLI needs a bucket."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from core.backend import build_backend, with_launcher
from core.settings import Backend as BackendName
from core.settings import Settings
from ingestion.client_health.sample_data import write_client_health_day
from orchestration.cli import app
from orchestration.dispatcher import bucket_of, dispatch_object_created, event_time_of
from sandbox.lake import upload_folders
from tests.aws_path.conftest import keys_of

DAY = "2025-03-10"


class RecordingLauncher:
    def __init__(self) -> None:
        self.runs: list[tuple[str, dict[str, str]]] = []

    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
        self.runs.append((job_name, arguments))
        return f"jr_{len(self.runs)}"


def test_an_object_in_the_bucket_reaches_its_handler_with_the_s3_event(
    s3: Any, bucket: str, tmp_path: Any
) -> None:
    key = f"landing/sftp/acme/{DAY}/folha.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=b"id_funcionario,nome,cpf,idade,ativo,salario,data_referencia\n1,A,,30,true,1.00,2025-03-01\n")
    launcher = RecordingLauncher()
    settings = Settings(backend=BackendName.AWS, bucket=bucket, lake=tmp_path)
    backend = with_launcher(build_backend(settings), launcher)
    assert bucket_of(backend) == bucket
    modified = s3.head_object(Bucket=bucket, Key=key)["LastModified"]
    assert event_time_of(backend.store, key).startswith(modified.strftime("%Y-%m-%dT%H:%M:%S"))

    outcomes = dispatch_object_created(backend, key)

    assert [outcome["action"] for outcome in outcomes] == ["job_started"]
    (job, arguments), = launcher.runs
    assert job == settings.glue_job_partner_csv
    assert arguments["--lake_uri"] == f"s3://{bucket}" and arguments["--source_key"] == key


def test_the_aws_backend_without_a_bucket_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKEHOUSE_BUCKET", raising=False)
    result = CliRunner().invoke(app, ["run", "--backend", "aws", "--date", DAY])
    assert result.exit_code == 2
    assert "--bucket" in result.output


def test_without_a_pseudonym_key_the_client_health_job_fails_and_lands_nothing(
    s3: Any, bucket: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the client-files Glue job needs the key (dbt no longer does): without one it fails before it
    reads a file, the report names the setting, and nothing downstream is built."""
    for name in ("LAKEHOUSE_PSEUDONYM_KEY", "LAKEHOUSE_PSEUDONYM_KEY_SECRET_ID"):
        monkeypatch.delenv(name, raising=False)
    write_client_health_day(tmp_path / "landing", dt.date.fromisoformat(DAY), rows=20, seed=3)
    assert upload_folders(tmp_path, ["landing"], bucket, s3) == 3

    result = CliRunner().invoke(
        app, ["run", "--backend", "aws", "--bucket", bucket, "--date", DAY, "--lake", str(tmp_path / "work")]
    )

    assert result.exit_code == 1, result.output
    report = json.loads(s3.get_object(Bucket=bucket, Key=f"reports/run-{DAY}.json")["Body"].read())
    client_health = report["sources"]["client_health"]
    assert client_health["crashed"] and client_health["rows_landed"] == 0
    assert any("LAKEHOUSE_PSEUDONYM_KEY_SECRET_ID" in error for error in client_health["errors"])
    assert report["dbt"]["failures"] == ["dbt build not run: ingestion crashed (client_health)"]
    assert not keys_of(s3, bucket, "bronze/")


def test_sla_check_reads_the_job_record_in_the_bucket(s3: Any, bucket: str) -> None:
    record = {
        "job": "positional-day", "source": "positional", "day": "2025-03-09", "status": "succeeded",
        "started_at": "2025-03-09T10:00:00+00:00", "finished_at": "2025-03-09T10:05:00+00:00",
        "first_succeeded_at": "2025-03-09T10:05:00+00:00", "errors": [],
    }  # fmt: skip
    s3.put_object(Bucket=bucket, Key="reports/jobs/positional/2025-03-09.json", Body=json.dumps(record).encode())
    met = CliRunner().invoke(app, ["sla-check", "--backend", "aws", "--bucket", bucket, "--date", "2025-03-09"])
    assert met.exit_code == 0, met.output
    missed = CliRunner().invoke(app, ["sla-check", "--backend", "aws", "--bucket", bucket, "--date", "2025-03-08"])
    assert missed.exit_code == 1, missed.output
