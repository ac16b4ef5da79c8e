"""`run --backend aws`: S3 events built from the bucket reach the same handlers; the CLI needs a bucket."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from core.backend import build_backend, with_launcher
from core.settings import Backend as BackendName
from core.settings import Settings
from orchestration.cli import app
from orchestration.dispatcher import bucket_of, dispatch_object_created, event_time_of

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
