"""Bronze tables in the catalog. On AWS they are Glue tables; locally, views in the DuckDB catalog file.

``DuckDbCatalog`` and ``GlueCatalog`` are the two implementations of ``Catalog``; the backend factory
picks one, and callers only ever say ``backend.catalog.register_bronze(tables)``.

Each source declares its bronze tables once (name, key prefix, Arrow schema); dbt reads them as
sources in schema ``bronze`` on both backends. A table with no file yet is still a typed, empty view,
so a day without input for a source builds instead of failing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

BRONZE_SCHEMA = "bronze"


@dataclass(frozen=True)
class BronzeTable:
    name: str
    prefix: str  # key below the lake root, e.g. "bronze/partner_csv"
    schema: pa.Schema
    partition_columns: tuple[str, ...] = field(default=())
    # Relative to ``prefix``; by default one folder level per Hive partition column.
    file_glob: str | None = None
    file_format: str = "parquet"  # parquet | json

    def relative_glob(self) -> str:
        if self.file_glob is not None:
            return self.file_glob
        return "/".join([*(["*"] * len(self.partition_columns)), f"*.{self.file_format}"])

    def glob(self, lake_root: Path) -> str:
        return str(lake_root / self.prefix / self.relative_glob())

    def has_files(self, lake_root: Path) -> bool:
        return any((lake_root / self.prefix).glob(self.relative_glob()))


def duckdb_type(data_type: pa.DataType) -> str:
    if pa.types.is_boolean(data_type):
        return "BOOLEAN"
    if pa.types.is_int8(data_type) or pa.types.is_int16(data_type) or pa.types.is_int32(data_type):
        return "INTEGER"
    if pa.types.is_integer(data_type):
        return "BIGINT"
    if pa.types.is_floating(data_type):
        return "DOUBLE"
    if pa.types.is_decimal(data_type):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    if pa.types.is_date(data_type):
        return "DATE"
    if pa.types.is_timestamp(data_type):
        return "TIMESTAMPTZ" if data_type.tz else "TIMESTAMP"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "VARCHAR"
    raise TypeError(f"no DuckDB type for {data_type}")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def bronze_view_sql(table: BronzeTable, lake_root: Path) -> str:
    columns = [*table.schema, *(pa.field(name, pa.string()) for name in table.partition_columns)]
    target = f"{BRONZE_SCHEMA}.{_quote(table.name)}"
    if not table.has_files(lake_root):
        select = ", ".join(f"CAST(NULL AS {duckdb_type(col.type)}) AS {_quote(col.name)}" for col in columns)
        return f"CREATE OR REPLACE VIEW {target} AS SELECT {select} WHERE FALSE"
    select = ", ".join(
        f"CAST({_quote(col.name)} AS {duckdb_type(col.type)}) AS {_quote(col.name)}" for col in columns
    )
    if table.file_format == "json":
        declared = ", ".join(f"{_quote(col.name)}: '{duckdb_type(col.type)}'" for col in table.schema)
        scan = f"read_json({_literal(table.glob(lake_root))}, format = 'auto', columns = {{{declared}}})"
    else:
        hive_types = ", ".join(f"{_quote(name)}: 'VARCHAR'" for name in table.partition_columns)
        options = (
            f", hive_partitioning = true, hive_types = {{{hive_types}}}"
            if hive_types
            else ", hive_partitioning = false"
        )
        scan = f"read_parquet({_literal(table.glob(lake_root))}, union_by_name = true{options})"
    return f"CREATE OR REPLACE VIEW {target} AS SELECT {select} FROM {scan}"


def register_bronze_tables(catalog_path: Path, lake_root: Path, tables: Iterable[BronzeTable]) -> None:
    """(Re)creates the bronze views so dbt sees every file landed so far, or an empty typed table."""
    catalog_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(catalog_path)) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {BRONZE_SCHEMA}")
        for table in tables:
            connection.execute(bronze_view_sql(table, lake_root.resolve()))


class Catalog(Protocol):
    def register_bronze(self, tables: Iterable[BronzeTable]) -> None:
        """Makes every table readable by dbt in schema ``bronze`` with every file landed so far."""
        ...


@dataclass(frozen=True)
class DuckDbCatalog:
    """The embedded catalog: views in the DuckDB file over the lake folder's Parquet and JSON."""

    catalog_path: Path
    lake_root: Path

    def register_bronze(self, tables: Iterable[BronzeTable]) -> None:
        register_bronze_tables(self.catalog_path, self.lake_root, tables)


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


_FORMATS = {
    "parquet": (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    ),
    "json": (
        "org.apache.hadoop.mapred.TextInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "org.openx.data.jsonserde.JsonSerDe",
    ),
}


@dataclass(frozen=True)
class GlueCatalog:
    """Bronze tables as Glue Data Catalog tables over the lake bucket (Athena and dbt-athena read them).

    Each table is created or updated in place (new source columns widen it); each Hive partition folder
    found under its prefix is added as a partition, so a new ingestion day is visible at once.
    """

    client: Any  # a boto3 Glue client
    store: Any  # the lake's S3ObjectStore (bucket and listing)
    database: str = BRONZE_SCHEMA

    def table_input(self, table: BronzeTable) -> dict[str, Any]:
        input_format, output_format, serde = _FORMATS[table.file_format]
        return {
            "Name": table.name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": table.file_format, "EXTERNAL": "TRUE"},
            "PartitionKeys": [{"Name": name, "Type": "string"} for name in table.partition_columns],
            "StorageDescriptor": {
                "Columns": [{"Name": col.name, "Type": athena_type(col.type)} for col in table.schema],
                "Location": self.store.uri(table.prefix) + "/",
                "InputFormat": input_format,
                "OutputFormat": output_format,
                "SerdeInfo": {"SerializationLibrary": serde},
            },
        }

    def _ensure_database(self) -> None:
        with contextlib.suppress(self.client.exceptions.AlreadyExistsException):
            self.client.create_database(DatabaseInput={"Name": self.database})

    def _partitions(self, table: BronzeTable) -> list[list[str]]:
        depth = len(table.partition_columns)
        found: set[tuple[str, ...]] = set()
        for info in self.store.list(table.prefix):
            folders = info.key.removeprefix(table.prefix + "/").split("/")[:depth]
            if len(folders) == depth and all("=" in folder for folder in folders):
                found.add(tuple(folder.split("=", 1)[1] for folder in folders))
        return [list(values) for values in sorted(found)]

    def register_bronze(self, tables: Iterable[BronzeTable]) -> None:
        self._ensure_database()
        for table in tables:
            table_input = self.table_input(table)
            try:
                self.client.create_table(DatabaseName=self.database, TableInput=table_input)
            except self.client.exceptions.AlreadyExistsException:
                self.client.update_table(DatabaseName=self.database, TableInput=table_input)
            if not table.partition_columns:
                continue
            descriptor = table_input["StorageDescriptor"]
            partitions = [
                {
                    "Values": values,
                    "StorageDescriptor": {
                        **descriptor,
                        "Location": descriptor["Location"]
                        + "/".join(f"{name}={value}" for name, value in zip(table.partition_columns, values, strict=True))
                        + "/",
                    },
                }
                for values in self._partitions(table)
            ]
            for start in range(0, len(partitions), 100):  # the API's batch limit
                self.client.batch_create_partition(
                    DatabaseName=self.database, TableName=table.name, PartitionInputList=partitions[start : start + 100]
                )
