"""Bronze tables in the catalog. On AWS they are Glue tables; locally, views in the DuckDB catalog file.

``DuckDbCatalog`` and ``GlueCatalog`` are the two implementations of ``Catalog``; the backend factory
picks one, and callers only ever say ``backend.catalog.register_bronze(tables)``.

Each source declares its bronze tables once (name, key prefix, Arrow schema); dbt reads them as
sources in schema ``bronze`` on both backends. A table with no file yet is still a typed, empty view,
so a day without input for a source builds instead of failing.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from core.athena_publication import publish_gold_athena
from core.hive_partitions import unescape_path_name
from core.table_readers import CatalogTableReader, GlueTableReader, TableReader

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


# Arrow type -> (DuckDB, Athena) column type, checked in order. DuckDB keeps every integer narrower
# than 64 bits as INTEGER and every float as DOUBLE; Athena has a name for each width. None: no such type.
_COLUMN_TYPES: tuple[tuple[Callable[[pa.DataType], bool], str, str | None], ...] = (
    (pa.types.is_boolean, "BOOLEAN", "boolean"),
    (pa.types.is_int8, "INTEGER", "tinyint"),
    (pa.types.is_int16, "INTEGER", "smallint"),
    (pa.types.is_int32, "INTEGER", "int"),
    (pa.types.is_int64, "BIGINT", "bigint"),
    (pa.types.is_integer, "BIGINT", None),
    (pa.types.is_float32, "DOUBLE", "float"),
    (pa.types.is_float64, "DOUBLE", "double"),
    (pa.types.is_floating, "DOUBLE", None),
    (pa.types.is_date, "DATE", "date"),
    (pa.types.is_string, "VARCHAR", "string"),
    (pa.types.is_large_string, "VARCHAR", "string"),
)


def _type_names(data_type: pa.DataType) -> tuple[str | None, str | None]:
    """(DuckDB, Athena) names of the column type of ``data_type``."""
    if pa.types.is_decimal(data_type):
        return f"DECIMAL({data_type.precision},{data_type.scale})", f"decimal({data_type.precision},{data_type.scale})"
    if pa.types.is_timestamp(data_type):
        return ("TIMESTAMPTZ" if data_type.tz else "TIMESTAMP"), "timestamp"
    for matches, duckdb_name, athena_name in _COLUMN_TYPES:
        if matches(data_type):
            return duckdb_name, athena_name
    return None, None


def duckdb_type(data_type: pa.DataType) -> str:
    name, _ = _type_names(data_type)
    if name is None:
        raise TypeError(f"no DuckDB type for {data_type}")
    return name


def athena_type(data_type: pa.DataType) -> str:
    _, name = _type_names(data_type)
    if name is None:
        raise TypeError(f"no Athena type for {data_type}")
    return name


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


class Catalog(Protocol):
    def register_bronze(self, tables: Iterable[BronzeTable]) -> None:
        """Makes every table readable by dbt in schema ``bronze`` with every file landed so far."""
        ...

    def publish_gold(self, tables: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Publishes the audited ``gold_build`` tables (name -> partition columns) as ``gold``; only
        called once the whole dbt build, tests included, succeeded. Returns one report entry per table."""
        ...

    def table_reader(self) -> TableReader:
        """Reads published tables (``schema``, ``table``) for the publishers (MySQL, OpenSearch)."""
        ...


# Gold publication on the embedded catalog is a serving function; named, not imported, from this layer.
_DUCKDB_GOLD_PUBLICATION = "serving.gold_publication"


@dataclass(frozen=True)
class DuckDbCatalog:
    """The embedded catalog: views in the DuckDB file over the lake folder's Parquet and JSON."""

    catalog_path: Path
    lake_root: Path

    def register_bronze(self, tables: Iterable[BronzeTable]) -> None:
        register_bronze_tables(self.catalog_path, self.lake_root, tables)

    def publish_gold(self, tables: dict[str, list[str]]) -> list[dict[str, Any]]:
        publication = importlib.import_module(_DUCKDB_GOLD_PUBLICATION)
        return [
            {"table": f"gold.{table.name}", "rows": table.rows, "version": table.version}
            for table in publication.publish_gold(self.catalog_path, self.lake_root, tables)
        ]

    def table_reader(self) -> TableReader:
        return CatalogTableReader(self.catalog_path)


_FORMATS: dict[str, dict[str, Any]] = {
    "parquet": {
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
    },
    "json": {
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
    },
}


def partition_keys(table: BronzeTable) -> list[str]:
    """A Glue table has one location and cannot glob: each ``*`` folder level of the table's file
    pattern is a partition, named after the partition column where the folder is ``column=value``
    (Hive style), else ``partition_<n>`` as a Glue crawler names it."""
    levels = table.relative_glob().split("/")[:-1]
    wildcards = [index for index, level in enumerate(levels) if level == "*"]
    return [
        table.partition_columns[position] if position < len(table.partition_columns) else f"partition_{position}"
        for position, _index in enumerate(wildcards)
    ]


def partitions_present(table: BronzeTable, keys: Iterable[str]) -> dict[tuple[str, ...], str]:
    """Partition values -> the key prefix (below the table's) holding that partition's files.

    Fixed folder levels (``*/rows/*.parquet``) end up inside each partition's location, so the rejected
    files and ``reason.json`` beside ``rows/`` are under no location: a Hive location never mixes formats.
    """
    pattern = table.relative_glob()
    levels = pattern.split("/")[:-1]
    found: dict[tuple[str, ...], str] = {}
    for relative in keys:
        if not fnmatch.fnmatchcase(relative, pattern) or len(relative.split("/")) != len(levels) + 1:
            continue
        folders = relative.split("/")[:-1]
        values = []
        wildcard_folders = [folder for level, folder in zip(levels, folders, strict=True) if level == "*"]
        for position, folder in enumerate(wildcard_folders):
            name, separator, value = folder.partition("=")
            is_hive = separator and position < len(table.partition_columns) and name == table.partition_columns[position]
            values.append(unescape_path_name(value) if is_hive else folder)
        found[tuple(values)] = "/".join(folders) + "/"
    return found


def glue_table_input(table: BronzeTable, location: str) -> dict[str, Any]:
    partition_names = partition_keys(table)
    return {
        "Name": table.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": table.file_format},
        "StorageDescriptor": {
            **_FORMATS[table.file_format],
            "Columns": [
                {"Name": field.name, "Type": athena_type(field.type)}
                for field in table.schema
                if field.name not in partition_names
            ],
            "Location": location,
        },
        "PartitionKeys": [{"Name": name, "Type": "string"} for name in partition_names],
    }


def register_bronze_tables_in_glue(
    bucket: str, s3: Any, glue: Any, tables: Iterable[BronzeTable], database: str = BRONZE_SCHEMA
) -> dict[str, int]:
    """Creates or redefines each table in Glue and registers every partition present in the bucket.

    Returns table name -> partitions registered now. Rerunning adds only partitions that appeared.
    """
    with contextlib.suppress(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": database})
    registered: dict[str, int] = {}
    for table in tables:
        base = table.prefix.rstrip("/") + "/"
        definition = glue_table_input(table, f"s3://{bucket}/{base}")
        try:
            glue.create_table(DatabaseName=database, TableInput=definition)
        except glue.exceptions.AlreadyExistsException:
            glue.update_table(DatabaseName=database, TableInput=definition)
        if not definition["PartitionKeys"]:
            registered[table.name] = 0
            continue
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base)
        present = partitions_present(table, (item["Key"][len(base) :] for page in pages for item in page.get("Contents", [])))
        existing = {
            tuple(partition["Values"]): partition["StorageDescriptor"].get("Location")
            for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table.name)
            for partition in page["Partitions"]
        }
        wanted: list[dict[str, Any]] = [
            {
                "Values": list(values),
                "StorageDescriptor": {**definition["StorageDescriptor"], "Location": f"s3://{bucket}/{base}{folder}"},
            }
            for values, folder in sorted(present.items())
        ]
        new = [partition for partition in wanted if tuple(partition["Values"]) not in existing]
        # A partition registered elsewhere (the table moved to this bucket) points where its data is now.
        for partition in wanted:
            located = existing.get(tuple(partition["Values"]))
            if located is not None and located != partition["StorageDescriptor"]["Location"]:
                glue.update_partition(
                    DatabaseName=database,
                    TableName=table.name,
                    PartitionValueList=partition["Values"],
                    PartitionInput=partition,
                )
        for start in range(0, len(new), 100):  # the API's batch limit
            glue.batch_create_partition(
                DatabaseName=database, TableName=table.name, PartitionInputList=new[start : start + 100]
            )
        registered[table.name] = len(new)
    return registered


@dataclass(frozen=True)
class GlueCatalog:
    """Bronze tables as Glue Data Catalog tables over the lake bucket (Athena and dbt-athena read them).

    Each table is created or updated in place (new source columns widen it); each partition folder found
    under its prefix is added as a partition, so a new ingestion day is visible at once. Gold is
    published by switching ``gold.<table>`` to a new versioned location (``core.athena_publication``).
    """

    client: Any  # a boto3 Glue client
    store: Any  # the lake's S3ObjectStore (bucket and client)
    database: str = BRONZE_SCHEMA

    def register_bronze(self, tables: Iterable[BronzeTable]) -> None:
        register_bronze_tables_in_glue(self.store.bucket, self.store.client, self.client, tables, self.database)

    def publish_gold(self, tables: dict[str, list[str]]) -> list[dict[str, Any]]:
        published = publish_gold_athena(self.client, self.store.client, self.store.bucket, list(tables))
        return [table.as_report() for table in published]

    def table_reader(self) -> TableReader:
        return GlueTableReader(self.client, self.store.client)
