"""The AWS path, executed offline: the demo's landing files in a sandbox bucket, `lakehouse run --backend
aws` exits 0, and gold queried through Athena equals gold of the local run of the same inputs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from ingestion.aurora.extract import demo_database_path
from orchestration.cli import app
from sandbox import Sandbox, start_sandbox
from sandbox.lake import upload_folders
from tests.aws_path.conftest import keys_of

pytestmark = [pytest.mark.slow, pytest.mark.spark]

DAY = "2025-03-10"
BUCKET = "demo-lake"
KEY = "an-offline-demo-key"  # the same pseudonym key on both backends: the same client ids
runner = CliRunner()

# Gold table -> its order (the key); the columns are the local table's, in the local order.
GOLD_TABLES = {
    "salary_averages": "ano, mes, idade, ativo",
    "contract_plans": "numero_contrato",
    "client_health": "id",
    "seller_contracts": "1, 2",  # not a total order
}
_WHOLE_SECONDS = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\.0+$")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    started = start_sandbox(0, statement_log=tmp_path_factory.mktemp("sandbox") / "athena.jsonl")
    try:
        yield started
    finally:
        started.stop()


def _text(value: Any) -> str | None:
    """Athena returns every value as text: compare both backends' rows as text (Athena prints a
    timestamp with its milliseconds, DuckDB's Python value without them when they are zero)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return _WHOLE_SECONDS.sub(r"\1", str(value))


def _query(arguments: list[str], sql: str) -> tuple[list[str], list[list[str | None]]]:
    result = runner.invoke(app, ["query", *arguments, "--format", "json", sql])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    return (list(rows[0]) if rows else []), [[_text(value) for value in row.values()] for row in rows]


def test_run_backend_aws_on_the_sandbox_publishes_the_local_gold(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, work = tmp_path / "local", tmp_path / "aws-work"
    monkeypatch.setenv("LAKEHOUSE_PSEUDONYM_KEY", KEY)
    for name in ("LAKEHOUSE_BACKEND", "LAKEHOUSE_BUCKET", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    demo = runner.invoke(app, ["demo", "--lake", str(local), "--date", DAY, "--rows", "60"])
    assert demo.exit_code == 0, demo.output

    for name, value in sandbox.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("LAKEHOUSE_AURORA_URL", f"sqlite:///{demo_database_path(local)}")
    s3 = boto3.client("s3")
    assert upload_folders(local, ["landing"], BUCKET, s3) > 0

    aws = ["--backend", "aws", "--bucket", BUCKET]
    run = runner.invoke(app, ["run", *aws, "--date", DAY, "--lake", str(work)])
    assert run.exit_code == 0, run.output

    for table, order in GOLD_TABLES.items():
        columns, expected = _query(["--lake", str(local)], f"select * from gold.{table} order by {order}")
        assert expected, table
        select = ", ".join(columns)
        aws_columns, found = _query(aws, f"select {select} from gold.{table} order by {order}")
        assert aws_columns == columns, table
        # The same rows; the order only where the key is total (the engines break ties differently).
        assert sorted(found, key=repr) == sorted(expected, key=repr), table
        if table != "seller_contracts":
            assert found == expected, table

    # The run's report and the positional job's record are in the bucket, as on AWS.
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=f"reports/run-{DAY}.json")["Body"].read())
    assert report["status"] == "succeeded" and report["lake"] == f"s3://{BUCKET}"
    assert {entry["table"] for entry in report["gold"]} == {f"gold.{name}" for name in GOLD_TABLES}
    assert f"reports/jobs/positional/{DAY}.json" in keys_of(s3, BUCKET, "reports/jobs")
    # gold.<table> is a Glue table at a versioned location of its own.
    glue = boto3.client("glue")
    table = glue.get_table(DatabaseName="gold", Name="salary_averages")["Table"]
    assert table["StorageDescriptor"]["Location"].startswith(f"s3://{BUCKET}/gold/salary_averages/")
    assert table["Parameters"]["lakehouse_version"] in table["StorageDescriptor"]["Location"]
