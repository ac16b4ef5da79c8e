"""The must-hold of issue 12: `dbt build --target aws` (dbt-athena's own materializations) runs every model
and test of the project on the sandbox and passes, and gold built through Athena equals gold built
locally, row for row, for the demo day.

Bronze comes from the local demo (the same inputs, handlers and Spark jobs); it is uploaded to the
sandbox bucket and registered in the sandbox's Glue catalog from the BronzeTable declarations, client ids
included (the Glue job wrote them; dbt gets no key)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from typer.testing import CliRunner

from core.catalog import register_bronze_tables_in_glue
from core.layout import LakeLayout
from core.registry import all_bronze_tables
from core.settings import Settings
from jobs.dbt import DbtSummary, gold_models, run_dbt
from orchestration.cli import app
from sandbox import Sandbox
from sandbox.athena import recorded_executions
from sandbox.executor import athena_text
from sandbox.lake import upload_folders

pytestmark = [pytest.mark.slow, pytest.mark.spark]

DAY = "2025-04-02"
BUCKET = "sandbox-dbt-lake"
KEY = "sandbox-test-pseudonym-key"


@pytest.fixture(scope="module")
def local_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo day built on the local path (DuckDB): bronze for the sandbox, gold to compare with."""
    patch = pytest.MonkeyPatch()
    patch.setenv("LAKEHOUSE_PSEUDONYM_KEY", KEY)
    lake = tmp_path_factory.mktemp("local") / "lake"
    result = CliRunner().invoke(app, ["demo", "--lake", str(lake), "--date", DAY, "--rows", "200"])
    patch.undo()
    assert result.exit_code == 0, result.output
    return lake


@pytest.fixture(scope="module")
def aws_build(
    local_lake: Path, aws_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, DbtSummary]:
    patch = pytest.MonkeyPatch()
    for name, value in aws_sandbox.environment().items():
        patch.setenv(name, value)
    patch.setenv("LAKEHOUSE_BUCKET", BUCKET)
    patch.delenv("LAKEHOUSE_PSEUDONYM_KEY", raising=False)
    s3, glue = boto3.client("s3"), boto3.client("glue")
    upload_folders(local_lake, ["bronze", "quarantine", "reports/manifests"], BUCKET, s3)
    register_bronze_tables_in_glue(BUCKET, s3, glue, all_bronze_tables(local_lake))
    for database in ("silver", "gold_build", "gold"):
        glue.create_database(DatabaseInput={"Name": database})
    work = tmp_path_factory.mktemp("aws")
    summary = run_dbt(["build"], Settings(lake=work), target="aws")
    patch.undo()
    return work, summary


def _nodes(project: Path, resource_type: str) -> set[str]:
    manifest = json.loads((project / ".dbt" / "target" / "manifest.json").read_text())
    return {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == resource_type}


def test_every_model_and_test_runs_on_the_sandbox_and_passes(aws_build: tuple[Path, DbtSummary]) -> None:
    work, summary = aws_build
    assert summary.success, summary.failures
    assert set(summary.models) == _nodes(work, "model")
    assert set(summary.tests) == _nodes(work, "test")
    assert set(summary.models.values()) == {"success"}
    assert set(summary.tests.values()) == {"pass"}
    assert len(summary.models) >= 17 and len(summary.tests) >= 200


def test_the_same_models_and_tests_run_on_both_paths(local_lake: Path, aws_build: tuple[Path, DbtSummary]) -> None:
    work, _summary = aws_build
    assert _nodes(work, "model") == _nodes(local_lake, "model")
    assert _nodes(work, "test") == _nodes(local_lake, "test")


def test_athena_executed_the_build(aws_build: tuple[Path, DbtSummary]) -> None:
    work, _summary = aws_build
    statements = [execution.query for execution in recorded_executions()]
    for model in gold_models(LakeLayout.local(work)):
        assert any(f'create table "awsdatacatalog"."gold_build"."{model}' in query for query in statements), model
    assert all(execution.state == "SUCCEEDED" for execution in recorded_executions() if "gold_build" in execution.query)


def _athena_rows(sql: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
    athena = boto3.client("athena")
    query_id = athena.start_query_execution(
        QueryString=sql, ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/athena-results/"}
    )["QueryExecutionId"]
    state = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
    assert state["State"] == "SUCCEEDED", state
    rows: list[tuple[str | None, ...]] = []
    names: list[str] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        names = names or [column["Name"] for column in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
        rows += [tuple(datum.get("VarCharValue") for datum in row["Data"]) for row in page["ResultSet"]["Rows"]]
    return names, rows[1:]  # the first row of a query's results is its header


def _local_rows(lake: Path, table: str, columns: list[str]) -> list[tuple[str | None, ...]]:
    select = ", ".join(f'"{column}"' for column in columns)
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        fetched: list[tuple[Any, ...]] = connection.execute(f"select {select} from gold_build.{table}").fetchall()
    return [tuple(athena_text(Decimal(value) if isinstance(value, Decimal) else value) for value in row) for row in fetched]


def test_gold_built_on_athena_equals_gold_built_locally(
    local_lake: Path, aws_build: tuple[Path, DbtSummary], sandbox_environment: Sandbox
) -> None:
    work, summary = aws_build
    assert summary.success, summary.failures
    compared = 0
    for table in sorted(gold_models(LakeLayout.local(work))):
        columns, athena_rows = _athena_rows(f'select * from "gold_build"."{table}"')
        local_rows = _local_rows(local_lake, table, columns)
        assert sorted(athena_rows, key=str) == sorted(local_rows, key=str), table
        assert athena_rows, f"gold_build.{table} is empty: nothing compared"
        compared += 1
    assert compared >= 4
