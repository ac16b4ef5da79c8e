"""Bronze in the Glue Catalog: every table, every partition, at locations that hold one format only;
manifests as JSON Lines (Athena's JSON SerDe reads one object per line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.catalog import register_bronze_tables_in_glue
from core.storage import LocalObjectStore, S3ObjectStore
from ingestion.client_health import contract as client_health
from ingestion.glue_registration import register_written_bronze
from ingestion.ingestion_tables import MANIFESTS_TABLE
from ingestion.manifest import FileManifest, read_manifests, write_manifest
from ingestion.partner_csv.contract import BRONZE_TABLE, QUARANTINE_TABLE
from tests.aws_path.conftest import keys_of

DAY = "2025-03-10"


def _manifest(**changes: Any) -> FileManifest:
    fields: dict[str, Any] = {
        "source": "partner_csv", "day": DAY, "file_id": "acme~~folha.csv", "key": f"landing/sftp/acme/{DAY}/folha.csv",
        "etag": "e", "status": "landed", "rows_read": 3, "rows_landed": 2, "rows_quarantined": 1,
        "quarantined_by_reason": {"idade:not_integer": 1},
        "outputs": [
            f"bronze/partner_csv/ingestion_date={DAY}/acme~~folha.csv.parquet",
            f"quarantine/partner_csv/{DAY}/rows/acme~~folha.csv.parquet",
        ],
    }  # fmt: skip
    return FileManifest(**{**fields, **changes})


def test_a_manifest_is_one_json_object_on_one_line() -> None:
    manifest = _manifest(reason="a\nmultiline reason")
    data = manifest.to_json()
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert json.loads(data)["rows_read"] == 3
    assert FileManifest.from_json(data) == manifest


def test_manifests_read_back_on_the_local_lake(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    write_manifest(store, _manifest())
    write_manifest(store, _manifest(file_id="beta~~folha.csv", key=f"landing/sftp/beta/{DAY}/folha.csv"))
    found = sorted(m.file_id for m in read_manifests(store, "partner_csv", DAY))
    assert found == ["acme~~folha.csv", "beta~~folha.csv"]


def _lake_with_a_day(s3: Any, bucket: str) -> S3ObjectStore:
    store = S3ObjectStore(bucket, s3)
    store.write_bytes(f"bronze/partner_csv/ingestion_date={DAY}/acme~~folha.csv.parquet", b"PAR1")
    store.write_bytes(f"quarantine/partner_csv/{DAY}/rows/acme~~folha.csv.parquet", b"PAR1")
    store.write_bytes(f"quarantine/partner_csv/{DAY}/files/beta~~folha.csv/folha.csv", b"a;b\n")
    store.write_bytes(f"quarantine/partner_csv/{DAY}/files/beta~~folha.csv/reason.json", b"{}\n")
    write_manifest(store, _manifest())
    return store


def _partitions(glue: Any, database: str, table: str) -> list[tuple[list[str], str]]:
    found = glue.get_partitions(DatabaseName=database, TableName=table)["Partitions"]
    return sorted((item["Values"], item["StorageDescriptor"]["Location"]) for item in found)


def test_tables_and_partitions_are_registered_at_single_format_locations(s3: Any, glue: Any, bucket: str) -> None:
    _lake_with_a_day(s3, bucket)
    database = f"bronze_{bucket.replace('-', '_')}"
    tables = [BRONZE_TABLE, QUARANTINE_TABLE, MANIFESTS_TABLE]
    register_bronze_tables_in_glue(bucket, s3, glue, tables, database)

    bronze = glue.get_table(DatabaseName=database, Name="partner_csv_employees")["Table"]
    assert bronze["StorageDescriptor"]["Location"] == f"s3://{bucket}/bronze/partner_csv/"
    assert [key["Name"] for key in bronze["PartitionKeys"]] == ["ingestion_date"]
    columns = {column["Name"]: column["Type"] for column in bronze["StorageDescriptor"]["Columns"]}
    assert columns["salario"] == "decimal(12,2)" and columns["ingested_at"] == "timestamp"
    assert _partitions(glue, database, "partner_csv_employees") == [
        ([DAY], f"s3://{bucket}/bronze/partner_csv/ingestion_date={DAY}/")
    ]
    # Quarantined rows: one partition per day at rows/, beside (not above) the rejected files.
    assert _partitions(glue, database, "partner_csv_quarantine") == [
        ([DAY], f"s3://{bucket}/quarantine/partner_csv/{DAY}/rows/")
    ]
    manifests = glue.get_table(DatabaseName=database, Name="ingestion_manifests")["Table"]
    assert manifests["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert _partitions(glue, database, "ingestion_manifests") == [
        (["partner_csv", DAY], f"s3://{bucket}/reports/manifests/partner_csv/{DAY}/")
    ]
    # Every registered location holds one format only.
    for table in ("partner_csv_employees", "partner_csv_quarantine", "ingestion_manifests"):
        suffix = ".json" if table == "ingestion_manifests" else ".parquet"
        for _values, location in _partitions(glue, database, table):
            keys = keys_of(s3, bucket, location.removeprefix(f"s3://{bucket}/"))
            assert keys and all(key.endswith(suffix) for key in keys), keys

    # A rerun registers nothing new; a new day adds its partition only.
    assert register_bronze_tables_in_glue(bucket, s3, glue, tables, database)["partner_csv_employees"] == 0
    S3ObjectStore(bucket, s3).write_bytes("bronze/partner_csv/ingestion_date=2025-03-11/a.parquet", b"PAR1")
    assert register_bronze_tables_in_glue(bucket, s3, glue, tables, database)["partner_csv_employees"] == 1


def test_register_written_bronze_is_a_no_op_on_the_local_lake(tmp_path: Path) -> None:
    assert register_written_bronze(LocalObjectStore(tmp_path), [BRONZE_TABLE]) == {}


def test_register_written_bronze_on_s3_uses_the_bronze_database(s3: Any, glue: Any, bucket: str) -> None:
    store = S3ObjectStore(bucket, s3)
    store.write_bytes(client_health.bronze_key("csv", DAY), b"PAR1")
    registered = register_written_bronze(store, client_health.bronze_tables())
    assert registered["client_health_clientes_csv"] >= 0 and "ingestion_manifests" in registered
    names = {table["Name"] for table in glue.get_tables(DatabaseName="bronze")["TableList"]}
    assert {"client_health_clientes_csv", "client_health_quarantine", "ingestion_manifests"} <= names
    partitions = _partitions(glue, "bronze", "client_health_clientes_csv")
    assert ([DAY], f"s3://{bucket}/bronze/client_health/csv/ingestion_date={DAY}/") in partitions
