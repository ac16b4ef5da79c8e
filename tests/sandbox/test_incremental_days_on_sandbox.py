"""Incremental partner CSV silver and gold on the aws target (dbt-athena on the sandbox), day by day:

- the last day's build reads only that day's bronze partition (every statement that scans bronze
  carries the partition predicate of the day) and rewrites only the gold partitions its rows fall in
  (the other partitions' objects keep their keys and ETags);
- gold after the incremental days equals gold from one ``--full-refresh`` over the same inputs;
- gold built on the aws path equals gold built on the local path (DuckDB) for the same history.

client_health's days on both targets are in ``test_client_health_days_on_sandbox.py``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from core.catalog import register_bronze_tables, register_bronze_tables_in_glue
from core.registry import all_bronze_tables
from core.settings import Settings
from jobs.dbt import DbtSummary, run_dbt
from sandbox import Sandbox
from sandbox.athena import AthenaExecution, recorded_executions
from sandbox.executor import athena_text
from sandbox.lake import upload_folders
from tests.dbt.partner_history import DAYS, LAST_DAY_MONTHS, deliver_partner_day
from tests.sandbox.athena_client import ok
from tests.support.sandbox import sandbox_lake

pytestmark = pytest.mark.slow

BUCKET = "sandbox-incremental-lake"
KEY = "incremental-test-pseudonym-key"
# The partner CSV lineage: bronze source tests, staging, the latest-delivery view, salary_averages.
# Tests come with it when all their parents are in it (the rows-reconcile test also reads the manifests).
SELECT = ["+salary_averages", "+int_partner_csv__employees_latest", "--indirect-selection", "cautious"]
BRONZE_TABLE = "partner_csv_employees"
GOLD = "salary_averages"
GOLD_COLUMNS = ["idade", "ativo", "salario_medio", "funcionarios", "salario_total", "ano", "mes"]
LATEST_COLUMNS = ["partner", "id_funcionario", "data_referencia", "salario", "source_file", "ingestion_date"]

Rows = list[tuple[str | None, ...]]


@dataclass
class History:
    """What the day-by-day builds on both targets left, for the tests to compare."""

    local_lake: Path
    statements_of_day: dict[str, list[AthenaExecution]] = field(default_factory=dict)
    gold_objects_before_last_day: dict[str, str] = field(default_factory=dict)
    gold_objects_after_last_day: dict[str, str] = field(default_factory=dict)
    aws_gold: Rows = field(default_factory=list)
    aws_latest: Rows = field(default_factory=list)
    aws_gold_full_refresh: Rows = field(default_factory=list)
    local_gold: Rows = field(default_factory=list)
    local_latest: Rows = field(default_factory=list)
    local_gold_full_refresh: Rows = field(default_factory=list)


def _succeeded(summary: DbtSummary) -> DbtSummary:
    assert summary.success, summary.failures
    assert summary.models and set(summary.models.values()) == {"success"}, summary.models
    return summary


def _athena_rows(table: str, columns: list[str]) -> Rows:
    select = ", ".join(columns)
    return sorted(ok(f"select {select} from {table}", BUCKET).rows, key=str)


def _local_rows(lake: Path, table: str, columns: list[str]) -> Rows:
    select = ", ".join(columns)
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        fetched: list[tuple[Any, ...]] = connection.execute(f"select {select} from {table}").fetchall()
    # As Athena returns them: text, decimals with their scale.
    return sorted(
        (
            tuple(athena_text(Decimal(value) if isinstance(value, Decimal) else value) for value in row)
            for row in fetched
        ),
        key=str,
    )


def _gold_objects(glue: Any, s3: Any) -> dict[str, str]:
    """Key -> ETag of every object under gold_build.salary_averages' location."""
    location = glue.get_table(DatabaseName="gold_build", Name=GOLD)["Table"]["StorageDescriptor"]["Location"]
    prefix = location.removeprefix(f"s3://{BUCKET}/").rstrip("/") + "/"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", [])}


def _build_local(lake: Path, day: str | None, *extra: str) -> None:
    register_bronze_tables(lake / "catalog.duckdb", lake, all_bronze_tables(lake))
    _succeeded(run_dbt(["build", "--select", *SELECT, *extra], Settings(lake=lake), day=day))


@pytest.fixture(scope="module")
def history(aws_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    variables = {"LAKEHOUSE_BUCKET": BUCKET, "LAKEHOUSE_PSEUDONYM_KEY": KEY}
    with sandbox_lake(aws_sandbox, BUCKET, variables) as bucket:
        s3, glue = bucket.s3, bucket.glue
        local_lake = tmp_path_factory.mktemp("incremental-local") / "lake"
        (local_lake / "silver").mkdir(parents=True)
        aws_work = tmp_path_factory.mktemp("incremental-aws")
        result = History(local_lake)
        partner_tables = [table for table in all_bronze_tables(local_lake) if table.name == BRONZE_TABLE]
        for day in DAYS:
            deliver_partner_day(local_lake, day)
            _build_local(local_lake, day)
            # The day's bronze lands in the bucket and its partition is registered, as the Glue job does.
            upload_folders(local_lake, [f"bronze/partner_csv/ingestion_date={day}"], BUCKET, s3)
            register_bronze_tables_in_glue(BUCKET, s3, glue, partner_tables)
            if day == DAYS[-1]:
                result.gold_objects_before_last_day = _gold_objects(glue, s3)
            already = len(recorded_executions())
            _succeeded(
                run_dbt(["build", "--select", *SELECT], Settings(lake=aws_work), target="aws", day=day)
            )
            result.statements_of_day[day] = recorded_executions()[already:]
        result.gold_objects_after_last_day = _gold_objects(glue, s3)
        result.aws_gold = _athena_rows(f"gold_build.{GOLD}", GOLD_COLUMNS)
        result.aws_latest = _athena_rows("silver.int_partner_csv__employees_latest", LATEST_COLUMNS)
        result.local_gold = _local_rows(local_lake, f"gold_build.{GOLD}", GOLD_COLUMNS)
        result.local_latest = _local_rows(
            local_lake, "silver.int_partner_csv__employees_latest", LATEST_COLUMNS
        )

        _succeeded(
            run_dbt(["build", "--select", *SELECT, "--full-refresh"], Settings(lake=aws_work), target="aws")
        )
        result.aws_gold_full_refresh = _athena_rows(f"gold_build.{GOLD}", GOLD_COLUMNS)
        _build_local(local_lake, None, "--full-refresh")
        result.local_gold_full_refresh = _local_rows(local_lake, f"gold_build.{GOLD}", GOLD_COLUMNS)
        yield result


def _scans_of(statement: str, table: str) -> list[exp.Select]:
    """The SELECTs of an Athena statement that read ``table`` directly (FROM or JOIN)."""
    selects = []
    for tree in sqlglot.parse(statement, read="athena"):
        for node in tree.find_all(exp.Table) if tree else []:
            if node.name.lower() == table:
                select = node.find_ancestor(exp.Select)
                assert select is not None, statement
                selects.append(select)
    return selects


def _partition_predicates(select: exp.Select, column: str) -> set[str]:
    """The literals ``column`` must equal by the WHERE of ``select`` (its top-level ANDs)."""
    where = select.args.get("where")
    if where is None:
        return set()
    conditions = where.this.flatten() if isinstance(where.this, exp.And) else [where.this]
    return {
        condition.right.name
        for condition in conditions
        if isinstance(condition, exp.EQ)
        and isinstance(condition.left, exp.Column)
        and isinstance(condition.right, exp.Literal)
        and condition.left.name.lower() == column
    }


def test_the_last_day_reads_only_its_bronze_partition(history: History) -> None:
    day = DAYS[-1]
    statements = [execution.query for execution in history.statements_of_day[day]]
    scans = [(statement, select) for statement in statements for select in _scans_of(statement, BRONZE_TABLE)]
    assert scans, "the day's build never read bronze"
    for statement, select in scans:
        assert _partition_predicates(select, "ingestion_date") == {day}, statement
    assert all(execution.state == "SUCCEEDED" for execution in history.statements_of_day[day])


def test_the_last_day_rewrites_only_the_gold_partitions_its_rows_fall_in(history: History) -> None:
    before, after = history.gold_objects_before_last_day, history.gold_objects_after_last_day

    def partition(key: str) -> tuple[int, int] | None:
        folders = dict(part.split("=", 1) for part in key.split("/") if "=" in part)
        return (int(folders["ano"]), int(folders["mes"])) if "ano" in folders and "mes" in folders else None

    untouched_before = {key: etag for key, etag in before.items() if partition(key) not in LAST_DAY_MONTHS}
    untouched_after = {key: etag for key, etag in after.items() if partition(key) not in LAST_DAY_MONTHS}
    assert {partition(key) for key in untouched_before} == {(2025, 3), (2025, 4)}
    assert untouched_after == untouched_before  # same keys, same ETags: not rewritten
    touched_before = {key: etag for key, etag in before.items() if partition(key) in LAST_DAY_MONTHS}
    touched_after = {key: etag for key, etag in after.items() if partition(key) in LAST_DAY_MONTHS}
    assert touched_after and touched_after != touched_before  # May was rebuilt


def test_incremental_gold_equals_a_full_refresh_on_both_targets(history: History) -> None:
    assert history.aws_gold == history.aws_gold_full_refresh
    assert history.local_gold == history.local_gold_full_refresh
    assert sorted(history.aws_gold, key=str) == sorted(
        [
            ("30", "true", "217.00", "3", "651.00", "2025", "4"),
            ("40", "false", "50.00", "1", "50.00", "2025", "3"),
            ("50", "true", "550.00", "1", "550.00", "2025", "5"),
            ("60", "true", "800.00", "1", "800.00", "2025", "5"),
            ("25", "false", "123.45", "1", "123.45", "2025", "5"),
        ],
        key=str,
    )


def test_gold_and_silver_built_on_aws_equal_the_local_build(history: History) -> None:
    assert history.aws_gold == history.local_gold
    assert history.aws_latest == history.local_latest
    assert len(history.aws_latest) == 7  # employees 1 (two partners), 2, 3, 4, 5, 7
