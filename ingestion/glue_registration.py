"""Bronze in the Glue Data Catalog: each job registers the tables and partitions it has just written.

On AWS nothing crawls the lake: a job that wrote bronze (or quarantined rows, or a manifest) creates or
widens the Glue table and adds or repoints the partition of what it wrote, so Athena and dbt-athena see
it as soon as the job ends. Locally the same tables are DuckDB views (``ingestion.catalog``).

Where Hive locations point, so that a location never mixes formats (Athena reads every object under a
table or partition location):
- bronze tables: one partition per Hive folder (``ingestion_date=D/``), Parquet only;
- quarantined rows: the table is partitioned by ``day`` and each partition points at
  ``quarantine/<source>/<D>/rows/``, which holds only Parquet; the rejected files and their
  ``reason.json`` sit beside it in ``quarantine/<source>/<D>/files/`` and belong to no table;
- manifests: one unpartitioned JSON Lines table over ``reports/manifests/`` (only manifests live there;
  Athena's JSON SerDe reads one object per line, which is how ``FileManifest.to_json`` writes them).
"""

from __future__ import annotations

import contextlib
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from core.catalog import BRONZE_SCHEMA, BronzeTable
from core.storage import ObjectStore, S3ObjectStore
from ingestion.ingestion_tables import MANIFESTS_TABLE
from ingestion.manifest import FileManifest

# The partition key of tables whose files sit in one folder per day without a Hive ``name=`` folder.
DAY_FOLDER_PARTITION = "day"

PARQUET_STORAGE: dict[str, Any] = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
JSON_LINES_STORAGE: dict[str, Any] = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
}


def athena_type(data_type: pa.DataType) -> str:
    if pa.types.is_boolean(data_type):
        return "boolean"
    if pa.types.is_int8(data_type):
        return "tinyint"
    if pa.types.is_int16(data_type):
        return "smallint"
    if pa.types.is_int32(data_type):
        return "int"
    if pa.types.is_int64(data_type):
        return "bigint"
    if pa.types.is_float32(data_type):
        return "float"
    if pa.types.is_float64(data_type):
        return "double"
    if pa.types.is_decimal(data_type):
        return f"decimal({data_type.precision},{data_type.scale})"
    if pa.types.is_date(data_type):
        return "date"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    raise TypeError(f"no Athena type for {data_type}")


@dataclass(frozen=True)
class GluePartition:
    values: tuple[str, ...]
    prefix: str  # key of the partition folder, no trailing slash


def partition_keys(table: BronzeTable) -> tuple[str, ...]:
    if table.partition_columns:
        return table.partition_columns
    if table.file_format == "parquet" and "/" in table.relative_glob():
        return (DAY_FOLDER_PARTITION,)
    return ()


def partition_of(table: BronzeTable, key: str) -> GluePartition | None:
    """The partition holding ``key``, or None when the key is not one of the table's files."""
    if not key.startswith(table.prefix + "/"):
        return None
    parts = key[len(table.prefix) + 1 :].split("/")
    pattern = table.relative_glob().split("/")
    if len(parts) != len(pattern) or not all(fnmatch.fnmatchcase(p, g) for p, g in zip(parts, pattern, strict=True)):
        return None
    folders = parts[:-1]
    if table.partition_columns:
        values = []
        for column, folder in zip(table.partition_columns, folders, strict=False):
            name, _, value = folder.partition("=")
            if name != column:
                return None
            values.append(value)
        return GluePartition(tuple(values), "/".join([table.prefix, *folders]))
    if partition_keys(table) == (DAY_FOLDER_PARTITION,):
        day = [folder for folder, glob in zip(folders, pattern, strict=False) if glob == "*"]
        return GluePartition((day[0],), "/".join([table.prefix, *folders]))
    return None


def _location(bucket: str, prefix: str) -> str:
    return f"s3://{bucket}/{prefix.strip('/')}/"


def table_input(table: BronzeTable, bucket: str) -> dict[str, Any]:
    keys = partition_keys(table)
    storage = JSON_LINES_STORAGE if table.file_format == "json" else PARQUET_STORAGE
    return {
        "Name": table.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": table.file_format, "EXTERNAL": "TRUE"},
        "PartitionKeys": [{"Name": name, "Type": "string"} for name in keys],
        "StorageDescriptor": {
            **storage,
            "Columns": [{"Name": item.name, "Type": athena_type(item.type)} for item in table.schema],
            "Location": _location(bucket, table.prefix),
        },
    }


def _ensure_database(glue: Any, database: str) -> None:
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        # Another job may create it at the same moment.
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):
            glue.create_database(DatabaseInput={"Name": database})


def _ensure_table(glue: Any, database: str, wanted: dict[str, Any]) -> None:
    try:
        current = glue.get_table(DatabaseName=database, Name=wanted["Name"])["Table"]
    except glue.exceptions.EntityNotFoundException:
        try:
            glue.create_table(DatabaseName=database, TableInput=wanted)
            return
        except glue.exceptions.AlreadyExistsException:
            current = glue.get_table(DatabaseName=database, Name=wanted["Name"])["Table"]
    descriptor = current.get("StorageDescriptor", {})
    same = (
        descriptor.get("Columns") == wanted["StorageDescriptor"]["Columns"]
        and descriptor.get("Location") == wanted["StorageDescriptor"]["Location"]
        and current.get("PartitionKeys", []) == wanted["PartitionKeys"]
    )
    if not same:  # a column appeared: the table is widened, its partitions stay
        glue.update_table(DatabaseName=database, TableInput=wanted)


def _ensure_partition(glue: Any, database: str, table: dict[str, Any], partition: GluePartition, bucket: str) -> None:
    descriptor = {**table["StorageDescriptor"], "Location": _location(bucket, partition.prefix)}
    wanted = {"Values": list(partition.values), "StorageDescriptor": descriptor}
    try:
        current = glue.get_partition(
            DatabaseName=database, TableName=table["Name"], PartitionValues=list(partition.values)
        )["Partition"]
    except glue.exceptions.EntityNotFoundException:
        try:
            glue.create_partition(DatabaseName=database, TableName=table["Name"], PartitionInput=wanted)
            return
        except glue.exceptions.AlreadyExistsException:
            return  # registered concurrently, at the same location
    current_descriptor = current.get("StorageDescriptor", {})
    if (
        current_descriptor.get("Location") != descriptor["Location"]
        or current_descriptor.get("Columns") != descriptor["Columns"]
    ):
        glue.update_partition(
            DatabaseName=database,
            TableName=table["Name"],
            PartitionValueList=list(partition.values),
            PartitionInput=wanted,
        )


def register_bronze(
    glue: Any,
    bucket: str,
    tables: Sequence[BronzeTable],
    written_keys: Iterable[str],
    database: str = BRONZE_SCHEMA,
) -> list[tuple[str, tuple[str, ...]]]:
    """Creates or widens each table and registers the partition of every written key it holds.

    Idempotent (a rerun changes nothing in the catalog); returns the (table, partition values) touched.
    """
    keys = list(written_keys)
    _ensure_database(glue, database)
    registered: list[tuple[str, tuple[str, ...]]] = []
    for table in tables:
        wanted = table_input(table, bucket)
        _ensure_table(glue, database, wanted)
        partitions = {found for key in keys if (found := partition_of(table, key)) is not None}
        for partition in sorted(partitions, key=lambda item: item.values):
            _ensure_partition(glue, database, wanted, partition, bucket)
            registered.append((table.name, partition.values))
    return registered


def register_manifest_outputs(
    store: ObjectStore, manifests: Sequence[FileManifest], tables: Sequence[BronzeTable]
) -> list[tuple[str, tuple[str, ...]]]:
    """What a job calls after writing: on S3, the tables, the partitions of the manifests' outputs and
    the manifests table in Glue; on the local lake nothing (the DuckDB views glob the folders)."""
    if not isinstance(store, S3ObjectStore):
        return []
    import boto3

    glue = boto3.client("glue", region_name=store.client.meta.region_name)
    outputs = [key for manifest in manifests for key in manifest.outputs]
    return register_bronze(glue, store.bucket, [*tables, MANIFESTS_TABLE], outputs)
