"""The Athena risks of issue 12 that live in SQL and dbt, each shown on the sandbox: what Athena does, and
that the project's Athena SQL (the default__/athena__ macros, the aws profile) copes with it."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import duckdb
import pytest
import yaml

from sandbox import Sandbox
from tests.client_health.dbt_macros import macros, sql
from tests.sandbox.athena_client import ok, run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def bucket(sandbox_environment: Sandbox) -> str:
    name = f"risks-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def database(bucket: str) -> str:
    name = f"risks_{uuid.uuid4().hex[:8]}"
    ok(f"create database {name}", bucket)
    return name


def test_iso_timestamp_with_zone_and_space_parses_on_athena(bucket: str) -> None:
    text = "'2025-03-01 10:30:00-03:00'"
    # The risk: Athena's from_iso8601_timestamp refuses the space, so try(...) is null.
    assert ok(f"select try(from_iso8601_timestamp({text}))", bucket).rows == [(None,)]
    athena_sql = sql(macros("athena").timestamp_from_iso(text))
    assert ok(f"select {athena_sql}", bucket).rows == [("2025-03-01 10:30:00.000",)]
    # ... the same wall-clock time as the DuckDB macro gives locally.
    local = duckdb.sql(f"select {sql(macros('duckdb').timestamp_from_iso(text))}").fetchall()
    assert str(local[0][0]) == "2025-03-01 10:30:00"


@pytest.mark.parametrize(("value", "text"), [("123.0", "123.0"), ("123.45", "123.45"), ("7", "7.0")])
def test_a_double_as_text_is_the_same_on_both_engines(bucket: str, value: str, text: str) -> None:
    double = f"cast({value} as double)"
    # The risk: Athena writes a double in scientific notation.
    assert ok(f"select cast({double} as varchar)", bucket).rows[0][0] != text
    assert ok(f"select {sql(macros('athena').double_text(double))}", bucket).rows == [(text,)]
    assert duckdb.sql(f"select {sql(macros('duckdb').double_text(double))}").fetchall() == [(text,)]


def test_ctas_into_a_location_holding_data_fails_as_on_athena(bucket: str, database: str) -> None:
    ok(f"create table {database}.first with (external_location='s3://{bucket}/t/') as select 1 as x", bucket)
    second = run(
        f"create table {database}.second with (external_location='s3://{bucket}/t/') as select 2 as x", bucket
    )
    assert second.state == "FAILED"
    assert second.reason is not None and second.reason.startswith("HIVE_PATH_ALREADY_EXISTS")


def test_the_aws_profile_never_reuses_a_table_location_across_builds() -> None:
    """dbt-athena deletes a table location's data before each CTAS; a fixed location (schema_table) would
    delete what a published table or a reader still uses. A unique location per build, and `ha` (build
    aside, then switch the Glue table), keep earlier versions readable."""
    profile = yaml.safe_load((REPO / "dbt_project" / "profiles.yml").read_text())["lakehouse"]["outputs"]["aws"]
    assert "unique" in profile["s3_data_naming"]
    project = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text())
    assert project["models"]["lakehouse"]["+ha"] is True


def test_more_than_100_partitions_fail_the_ctas_and_the_batched_fallback_completes(
    bucket: str, database: str
) -> None:
    days = "select x as id, cast(date '2020-01-01' + x * interval '1' day as varchar) as dia from unnest(sequence(0, 149)) as t(x)"
    direct = run(
        f"create table {database}.many with (external_location='s3://{bucket}/many/', "
        f"partitioned_by=ARRAY['dia']) as {days}",
        bucket,
    )
    # dbt-athena looks for this name to switch to its batched fallback.
    assert (
        direct.state == "FAILED" and direct.reason is not None and "TOO_MANY_OPEN_PARTITIONS" in direct.reason
    )
    assert not boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="many/").get("KeyCount")
    # The fallback as dbt-athena sends it: an unpartitioned staging table, a CTAS of the first batch,
    # INSERT INTO for the next batches.
    ok(
        f"create table {database}.many__tmp_not_partitioned with (external_location='s3://{bucket}/tmp/') as {days}",
        bucket,
    )
    ok(
        f"create table {database}.many with (external_location='s3://{bucket}/many/', partitioned_by=ARRAY['dia']) "
        f"as select id, dia from {database}.many__tmp_not_partitioned where id < 100",
        bucket,
    )
    ok(
        f"insert into {database}.many (id, dia) select id, dia from {database}.many__tmp_not_partitioned where id >= 100",
        bucket,
    )
    assert ok(f"select count(*), count(distinct dia) from {database}.many", bucket).rows == [("150", "150")]
    partitions = boto3.client("glue").get_partitions(DatabaseName=database, TableName="many")["Partitions"]
    assert len(partitions) == 150
