"""A table rebuilt by dbt-athena on the sandbox goes to a new location and the Glue table is switched to it
(`ha` with a unique s3_data_naming): the previous build's data stays where a reader or a published table
still points, instead of being deleted before the CTAS as a fixed location would have it."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.catalog import register_bronze_tables_in_glue
from core.settings import Settings
from ingestion.positional.tables import positional_bronze_tables
from jobs.dbt import run_dbt
from sandbox import Sandbox
from tests.sandbox.athena_client import ok

pytestmark = pytest.mark.slow

BUCKET = "sandbox-rebuild-lake"
MODEL = "stg_positional__plan_catalog"


def _plan_catalog_file() -> bytes:
    table = next(table for table in positional_bronze_tables() if table.name == "positional_plan_catalog")
    rows = pa.table(
        {
            "id_plano": pa.array([1, 2], pa.int64()),
            "nome_plano": ["BASICO", "OURO"],
            "valor_mensal": pa.array([Decimal("10.00"), Decimal("99.90")], pa.decimal128(10, 2)),
            "_source_file": ["PLANOS_20250402.TXT"] * 2,
            "_source_line": pa.array([1, 2], pa.int64()),
        }
    ).cast(table.schema)
    buffer = io.BytesIO()
    pq.write_table(rows, buffer)
    return buffer.getvalue()


def _location(glue: Any, name: str) -> str:
    return str(glue.get_table(DatabaseName="silver", Name=name)["Table"]["StorageDescriptor"]["Location"])


def test_a_rebuild_switches_location_and_keeps_the_previous_data(
    sandbox_environment: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEHOUSE_BUCKET", BUCKET)
    s3, glue = boto3.client("s3"), boto3.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET,
        Key="bronze/positional/plan_catalog/ingestion_date=2025-04-02/PLANOS_20250402.parquet",
        Body=_plan_catalog_file(),
    )
    register_bronze_tables_in_glue(BUCKET, s3, glue, positional_bronze_tables())
    existing = {database["Name"] for database in glue.get_databases()["DatabaseList"]}
    if "silver" not in existing:
        glue.create_database(DatabaseInput={"Name": "silver"})

    first = run_dbt(["run", "--select", MODEL], Settings(lake=tmp_path), target="aws")
    assert first.success, first.failures
    first_location = _location(glue, MODEL)
    second = run_dbt(["run", "--select", MODEL], Settings(lake=tmp_path), target="aws")
    assert second.success, second.failures
    second_location = _location(glue, MODEL)

    assert second_location != first_location
    bucket_prefix = f"s3://{BUCKET}/"
    kept = s3.list_objects_v2(
        Bucket=BUCKET, Prefix=first_location.removeprefix(bucket_prefix).rstrip("/") + "/"
    )
    assert kept.get("KeyCount", 0) > 0, "the first build's files were deleted by the rebuild"
    rows = ok(f"select id_plano, nome_plano from silver.{MODEL} order by id_plano", BUCKET).rows
    assert rows == [("1", "BASICO"), ("2", "OURO")]
