"""On AWS: the extracted tables in the Glue Data Catalog (database ``bronze``), so Athena and dbt-athena see
each new extraction date as a partition and each new source column as a table column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from ingestion.aurora import landing
from ingestion.aurora.bronze import bronze_table_name
from ingestion.manifest import FileManifest
from ingestion.storage import S3ObjectStore


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
    if pa.types.is_string(data_type):
        return "string"
    raise TypeError(f"no Athena type for {data_type}")


def table_of(manifest: FileManifest) -> str:
    """``bronze/aurora/<table>/extraction_date=<D>/data.parquet`` -> ``<table>``."""
    return manifest.outputs[0].split("/")[2]


def register_extractions(
    store: S3ObjectStore, manifests: Sequence[FileManifest], database: str, boto3_session: Any | None = None
) -> list[str]:
    """Creates or widens each landed table and adds its extraction-date partition; returns the tables registered."""
    import awswrangler as wr

    registered = []
    for manifest in manifests:
        if manifest.status != "landed":
            continue
        table = table_of(manifest)
        state = landing.read_schema_state(store, table)
        if state is None:
            raise FileNotFoundError(f"{landing.schema_key(table)} is missing for a landed table")
        name = bronze_table_name(table)
        wr.catalog.create_parquet_table(
            database=database,
            table=name,
            path=store.uri(landing.table_prefix(table)) + "/",
            columns_types={item.name: athena_type(item.type) for item in state.schema},
            partitions_types={landing.PARTITION: "string"},
            compression="snappy",
            # Keeps the partitions of earlier days and adds columns that appeared at the source.
            mode="append",
            boto3_session=boto3_session,
        )
        folder = store.uri(manifest.outputs[0].rsplit("/", 1)[0]) + "/"
        wr.catalog.add_parquet_partitions(
            database=database,
            table=name,
            partitions_values={folder: [manifest.day]},
            compression="snappy",
            boto3_session=boto3_session,
        )
        registered.append(name)
    return registered
