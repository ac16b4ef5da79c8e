"""Incremental gold.client_health on the aws target (dbt-athena on the sandbox) over two days in which
clients change plan, one of them leaving a convenio it was alone in (``tests/client_health/plan_changes.py``):

- day 2's incremental build passes, the ``unique`` test on ``id`` included: the convenio its only client
  left has no partition left in gold_build (no Glue partition, no S3 object) nor in the published gold;
- the published ``gold.client_health`` (Athena, a new versioned location) equals the local build's
  published gold (DuckDB), row for row, after each day;
- it also equals a ``--full-refresh`` over the same inputs;
- day 1's published version keeps its files (write-audit-publish: nothing a published version points
  to is deleted by the partition removal, which touches gold_build only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pyspark.sql import SparkSession

from core.backend import build_backend
from core.registry import all_bronze_tables
from core.settings import Backend, Settings
from ingestion.client_health.pseudonym import pseudonymous_id
from jobs.dbt import DbtSummary, run_dbt_on
from sandbox import Sandbox
from sandbox.lake import upload_folders
from tests.client_health.plan_changes import (
    DAY_1,
    DAY_2,
    DAYS,
    KEY,
    LONE_CONVENIO,
    LONER,
    MOVER,
    SELECT,
    STAYER,
    land_day,
)
from tests.support.sandbox import query_as_text, sandbox_lake

pytestmark = [pytest.mark.slow, pytest.mark.spark]

BUCKET = "sandbox-client-health-days"
GOLD = {"client_health": ["convenio"]}
PUBLISHED = "select * from gold.client_health order by id"
UPLOADED = ["bronze/client_health", "reports/manifests"]

Rows = list[list[str | None]]


@dataclass
class History:
    builds: dict[str, DbtSummary] = field(default_factory=dict)  # day -> the aws incremental build
    aws_gold: dict[str, tuple[list[str], Rows]] = field(default_factory=dict)  # day -> published on Athena
    local_gold: dict[str, tuple[list[str], Rows]] = field(default_factory=dict)  # day -> published locally
    build_partitions: list[str] = field(default_factory=list)  # gold_build.client_health after day 2
    build_objects: list[str] = field(default_factory=list)  # keys under gold_build.client_health's location
    published_locations: dict[str, str] = field(default_factory=dict)  # day -> gold.client_health's location
    objects_at: dict[str, list[str]] = field(default_factory=dict)  # day -> keys under its published location
    full_refresh: DbtSummary | None = None
    aws_gold_full_refresh: tuple[list[str], Rows] = ([], [])


def _succeeded(summary: DbtSummary) -> DbtSummary:
    assert summary.success, summary.failures
    assert summary.models and set(summary.models.values()) == {"success"}, summary.models
    return summary


def _keys(s3: Any, location: str) -> list[str]:
    prefix = location.removeprefix(f"s3://{BUCKET}/").rstrip("/") + "/"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def _location(glue: Any, database: str) -> str:
    return str(glue.get_table(DatabaseName=database, Name="client_health")["Table"]["StorageDescriptor"]["Location"])


@pytest.fixture(scope="module")
def history(aws_sandbox: Sandbox, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    with sandbox_lake(aws_sandbox, BUCKET) as bucket:
        s3, glue = bucket.s3, bucket.glue
        lake = tmp_path_factory.mktemp("client-health-local") / "lake"
        (lake / "silver").mkdir(parents=True)  # where dbt-duckdb writes external (Parquet) silver
        local = build_backend(Settings().for_lake(lake))
        aws_work = tmp_path_factory.mktemp("client-health-aws")
        aws = build_backend(Settings(backend=Backend.AWS, bucket=BUCKET, lake=aws_work))
        result = History()
        for day in DAYS:
            land_day(spark, lake, day)
            tables = [table for table in all_bronze_tables(lake.resolve()) if table.has_files(lake.resolve())]
            local.catalog.register_bronze(tables)
            _succeeded(run_dbt_on(local, ["build", *SELECT], day=day))
            local.catalog.publish_gold(GOLD)
            # The day's bronze and manifests land in the bucket and are registered, as the Glue job does.
            upload_folders(lake, UPLOADED, BUCKET, s3)
            aws.catalog.register_bronze(tables)
            result.builds[day] = run_dbt_on(aws, ["build", *SELECT], day=day)
            if result.builds[day].success:
                aws.catalog.publish_gold(GOLD)
            result.published_locations[day] = _location(glue, "gold")
            result.aws_gold[day] = query_as_text(["--backend", "aws", "--bucket", BUCKET], PUBLISHED)
            result.local_gold[day] = query_as_text(["--lake", str(lake)], PUBLISHED)
        result.build_partitions = sorted(
            value
            for page in glue.get_paginator("get_partitions").paginate(DatabaseName="gold_build", TableName="client_health")
            for partition in page["Partitions"]
            for value in partition["Values"]
        )
        result.build_objects = _keys(s3, _location(glue, "gold_build"))
        result.objects_at = {day: _keys(s3, location) for day, location in result.published_locations.items()}
        result.full_refresh = run_dbt_on(aws, ["build", *SELECT, "--full-refresh"])
        if result.full_refresh.success:
            aws.catalog.publish_gold(GOLD)
        result.aws_gold_full_refresh = query_as_text(["--backend", "aws", "--bucket", BUCKET], PUBLISHED)
        yield result


def _convenio_of(gold: tuple[list[str], Rows], cpf: str) -> list[str | None]:
    columns, rows = gold
    id_at, convenio_at = columns.index("id"), columns.index("convenio")
    return [row[convenio_at] for row in rows if row[id_at] == pseudonymous_id(KEY, cpf)]


def test_day_two_builds_and_its_tests_pass_without_a_stale_row(history: History) -> None:
    for day, summary in history.builds.items():
        _succeeded(summary)
        assert any("unique" in test and "client_health" in test for test in summary.tests), (day, summary.tests)
        assert set(summary.tests.values()) <= {"pass"}, (day, summary.tests)
    assert _convenio_of(history.aws_gold[DAY_1], LONER) == [LONE_CONVENIO]
    assert {cpf: _convenio_of(history.aws_gold[DAY_2], cpf) for cpf in (MOVER, LONER, STAYER)} == {
        MOVER: ["Unimed"], LONER: ["SUS"], STAYER: ["SUS"]
    }
    columns, rows = history.aws_gold[DAY_2]
    ids = [row[columns.index("id")] for row in rows]
    assert len(ids) == len(set(ids))


def test_the_emptied_convenio_has_no_partition_left(history: History) -> None:
    assert LONE_CONVENIO not in history.build_partitions and "SUS" in history.build_partitions
    assert history.build_objects and not [key for key in history.build_objects if f"convenio={LONE_CONVENIO}/" in key]
    _, rows = history.aws_gold[DAY_2]
    assert LONE_CONVENIO not in {row[-1] for row in rows}


def test_published_gold_on_aws_equals_the_local_build_each_day(history: History) -> None:
    for day in DAYS:
        columns, rows = history.local_gold[day]
        assert rows, day
        aws_columns, aws_rows = history.aws_gold[day]
        assert sorted(aws_columns) == sorted(columns), day
        order = [aws_columns.index(column) for column in columns]
        assert [[row[at] for at in order] for row in aws_rows] == rows, day


def test_incremental_gold_equals_a_full_refresh(history: History) -> None:
    assert history.full_refresh is not None
    _succeeded(history.full_refresh)
    assert history.aws_gold_full_refresh == history.aws_gold[DAY_2]


def test_each_published_version_keeps_its_files(history: History) -> None:
    assert history.published_locations[DAY_1] != history.published_locations[DAY_2]
    assert any(f"convenio={LONE_CONVENIO}/" in key for key in history.objects_at[DAY_1])  # still there for rollback
    assert not any(f"convenio={LONE_CONVENIO}/" in key for key in history.objects_at[DAY_2])
