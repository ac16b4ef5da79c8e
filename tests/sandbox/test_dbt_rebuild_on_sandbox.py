"""A table rebuilt by dbt-athena on the sandbox goes to a new location and the Glue table is switched to it
(`ha` with a unique s3_data_naming): the previous build's data stays where a reader or a published table
still points, instead of being deleted before the CTAS as a fixed location would have it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.catalog import register_bronze_tables_in_glue
from core.settings import Settings
from ingestion.aurora.bronze import declare_bronze_table, demo_schemas
from ingestion.aurora.landing import DATA_FILE, PARTITION, table_prefix
from jobs.dbt import run_dbt
from sandbox import Sandbox
from tests.sandbox.athena_client import ok

pytestmark = pytest.mark.slow

BUCKET = "sandbox-rebuild-lake"
# A silver table rebuilt whole on every build (the latest Aurora extraction); the incremental models
# keep their location and replace partitions instead.
MODEL = "stg_aurora__contratos"
TABLE = "contratos"


def _contracts_file() -> bytes:
    schema = pa.schema([pa.field(field.name, field.type) for field in demo_schemas()[TABLE]])
    rows = [
        {"numero_contrato": "0000000001", "id_cliente": 1, "id_plano": 1, "ativo": True},
        {"numero_contrato": "0000000002", "id_cliente": 2, "id_plano": 2, "ativo": False},
    ]
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buffer)
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
        Key=f"{table_prefix(TABLE)}/{PARTITION}=2025-04-02/{DATA_FILE}",
        Body=_contracts_file(),
    )
    register_bronze_tables_in_glue(BUCKET, s3, glue, [declare_bronze_table(TABLE, demo_schemas()[TABLE])])
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
    rows = ok(f"select numero_contrato, id_plano from silver.{MODEL} order by numero_contrato", BUCKET).rows
    assert rows == [("0000000001", "1"), ("0000000002", "2")]
