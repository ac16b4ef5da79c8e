"""Bronze in the Glue Catalog: tables, partitions at Parquet-only locations, manifests as JSON Lines."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from core.catalog import BronzeTable
from core.storage import LocalObjectStore, S3ObjectStore
from ingestion.client_health import contract as client_health
from ingestion.glue_registration import (
    DAY_FOLDER_PARTITION,
    GluePartition,
    partition_of,
    register_bronze,
    register_manifest_outputs,
)
from ingestion.ingestion_tables import MANIFESTS_TABLE
from ingestion.manifest import FileManifest, read_manifests, write_manifest
from ingestion.partner_csv.contract import BRONZE_TABLE, QUARANTINE_TABLE

DAY = "2025-03-10"


def _manifest(**changes: Any) -> FileManifest:
    fields: dict[str, Any] = {
        "source": "partner_csv", "day": DAY, "file_id": "acme__folha", "key": f"landing/sftp/acme/{DAY}/folha.csv",
        "etag": "e", "status": "landed", "rows_read": 3, "rows_landed": 2, "rows_quarantined": 1,
        "quarantined_by_reason": {"idade:not_integer": 1},
        "outputs": [
            f"bronze/partner_csv/ingestion_date={DAY}/acme__folha.parquet",
            f"quarantine/partner_csv/{DAY}/rows/acme__folha.parquet",
        ],
    }  # fmt: skip
    return FileManifest(**{**fields, **changes})


def test_a_manifest_is_one_json_object_on_one_line() -> None:
    manifest = _manifest(reason="a\nmultiline reason")
    data = manifest.to_json()
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert json.loads(data)["rows_read"] == 3
    assert FileManifest.from_json(data) == manifest


def test_manifests_read_back_on_the_local_lake(tmp_path: Any) -> None:
    store = LocalObjectStore(tmp_path)
    write_manifest(store, _manifest())
    write_manifest(store, _manifest(file_id="beta__folha", key=f"landing/sftp/beta/{DAY}/folha.csv"))
    assert [m.file_id for m in sorted(read_manifests(store, "partner_csv", DAY), key=lambda m: m.file_id)] == [
        "acme__folha",
        "beta__folha",
    ]


def test_partitions_of_written_keys() -> None:
    assert partition_of(BRONZE_TABLE, f"bronze/partner_csv/ingestion_date={DAY}/a.parquet") == GluePartition(
        (DAY,), f"bronze/partner_csv/ingestion_date={DAY}"
    )
    # Quarantined rows: one partition per day, at the rows/ folder that holds only Parquet.
    assert partition_of(QUARANTINE_TABLE, f"quarantine/partner_csv/{DAY}/rows/a.parquet") == GluePartition(
        (DAY,), f"quarantine/partner_csv/{DAY}/rows"
    )
    # A rejected file and its reason.json belong to no table.
    assert partition_of(QUARANTINE_TABLE, f"quarantine/partner_csv/{DAY}/files/a/folha.csv") is None
    assert partition_of(QUARANTINE_TABLE, f"quarantine/partner_csv/{DAY}/files/a/reason.json") is None
    assert partition_of(BRONZE_TABLE, f"bronze/partner_csv/{DAY}/a.parquet") is None
    assert partition_of(MANIFESTS_TABLE, f"reports/manifests/partner_csv/{DAY}/a.json") is None


def test_jobs_register_tables_and_partitions_in_glue(s3: Any, glue: Any, bucket: str) -> None:
    store = S3ObjectStore(bucket, s3)
    quarantined_file = f"quarantine/partner_csv/{DAY}/files/acme__folha/folha.csv"
    manifest = _manifest(outputs=[*_manifest().outputs, quarantined_file])
    database = f"bronze_{bucket.replace('-', '_')}"
    register_bronze(glue, bucket, [BRONZE_TABLE, QUARANTINE_TABLE, MANIFESTS_TABLE], manifest.outputs, database)

    bronze = glue.get_table(DatabaseName=database, Name="partner_csv_employees")["Table"]
    assert bronze["StorageDescriptor"]["Location"] == f"s3://{bucket}/bronze/partner_csv/"
    assert [key["Name"] for key in bronze["PartitionKeys"]] == ["ingestion_date"]
    columns = {column["Name"]: column["Type"] for column in bronze["StorageDescriptor"]["Columns"]}
    assert columns["salario"] == "decimal(12,2)" and columns["ingested_at"] == "timestamp"
    assert "ingestion_date" not in columns

    def partitions(table: str) -> list[tuple[list[str], str]]:
        found = glue.get_partitions(DatabaseName=database, TableName=table)["Partitions"]
        return sorted((item["Values"], item["StorageDescriptor"]["Location"]) for item in found)

    assert partitions("partner_csv_employees") == [
        ([DAY], f"s3://{bucket}/bronze/partner_csv/ingestion_date={DAY}/")
    ]
    quarantine = glue.get_table(DatabaseName=database, Name="partner_csv_quarantine")["Table"]
    assert [key["Name"] for key in quarantine["PartitionKeys"]] == [DAY_FOLDER_PARTITION]
    assert partitions("partner_csv_quarantine") == [([DAY], f"s3://{bucket}/quarantine/partner_csv/{DAY}/rows/")]

    manifests = glue.get_table(DatabaseName=database, Name="ingestion_manifests")["Table"]
    descriptor = manifests["StorageDescriptor"]
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert descriptor["Location"] == f"s3://{bucket}/reports/manifests/"
    assert manifests["PartitionKeys"] == []
    assert store.exists(quarantined_file) is False  # registration never writes data

    # A rerun changes nothing; a widened schema widens the table and keeps its partitions.
    versions = len(glue.get_table_versions(DatabaseName=database, TableName="partner_csv_employees")["TableVersions"])
    register_bronze(glue, bucket, [BRONZE_TABLE], manifest.outputs, database)
    assert len(glue.get_table_versions(DatabaseName=database, TableName="partner_csv_employees")["TableVersions"]) == versions
    wider = BronzeTable(
        name=BRONZE_TABLE.name,
        prefix=BRONZE_TABLE.prefix,
        schema=BRONZE_TABLE.schema.append(pa.field("novo", pa.string())),
        partition_columns=BRONZE_TABLE.partition_columns,
    )
    register_bronze(glue, bucket, [wider], [], database)
    widened = glue.get_table(DatabaseName=database, Name="partner_csv_employees")["Table"]
    assert widened["StorageDescriptor"]["Columns"][-1] == {"Name": "novo", "Type": "string"}
    assert len(partitions("partner_csv_employees")) == 1


def test_register_manifest_outputs_is_a_no_op_on_the_local_lake(tmp_path: Any) -> None:
    assert register_manifest_outputs(LocalObjectStore(tmp_path), [_manifest()], [BRONZE_TABLE]) == []


def test_register_manifest_outputs_on_s3_uses_the_bronze_database(s3: Any, glue: Any, bucket: str) -> None:
    fmt_key = client_health.bronze_key("csv", DAY)
    manifest = _manifest(source="client_health", file_id="clientes_csv", outputs=[fmt_key])
    registered = register_manifest_outputs(S3ObjectStore(bucket, s3), [manifest], client_health.bronze_tables())
    assert registered == [("client_health_clientes_csv", (DAY,))]
    names = {table["Name"] for table in glue.get_tables(DatabaseName="bronze")["TableList"]}
    assert {"client_health_clientes_csv", "client_health_quarantine", "ingestion_manifests"} <= names
