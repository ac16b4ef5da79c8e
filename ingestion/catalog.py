"""Bronze tables in the catalog. On AWS they are Glue tables; locally, views in the DuckDB catalog file.

Each source declares its bronze tables once (name, key prefix, Arrow schema); dbt reads them as
sources in schema ``bronze`` on both backends. A table with no file yet is still a typed, empty view,
so a day without input for a source builds instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
    import duckdb  # the local engine only: the Lambda artifact carries no DuckDB

    catalog_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(catalog_path)) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {BRONZE_SCHEMA}")
        for table in tables:
            connection.execute(bronze_view_sql(table, lake_root.resolve()))
