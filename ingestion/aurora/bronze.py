"""The bronze tables of the Aurora source. Their columns come from the source, so they are read from the
latest extracted file of each table instead of being declared in code.

Until a demo table has been extracted at least once it is declared with the demo database's schema,
as a typed empty view, so that the dbt models over it build on a lake without an extraction yet.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from core.catalog import BronzeTable
from ingestion.aurora.columns import sqlite_column
from ingestion.aurora.demo_db import DEMO_TABLES, SCHEMA
from ingestion.aurora.landing import BRONZE_PREFIX, DATA_FILE, PARTITION, table_prefix

TABLE_PREFIX = "aurora_"


def bronze_table_name(table: str) -> str:
    """The name dbt sees in schema ``bronze``: ``aurora_<table>``."""
    return f"{TABLE_PREFIX}{table}"


def _latest_file(folder: Path) -> Path | None:
    days = sorted(
        path for path in folder.glob(f"{PARTITION}=*/{DATA_FILE}") if not path.parent.name.startswith(".")
    )
    return days[-1] if days else None


@cache
def demo_schemas() -> dict[str, pa.Schema]:
    """The Arrow schemas the demo tables land with, from the demo database's own DDL."""
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.executescript(SCHEMA)
        return {
            table: pa.schema(
                [sqlite_column(str(row[1]), str(row[2])).field for row in connection.execute("SELECT * FROM pragma_table_info(?)", (table,))]
            )
            for table in DEMO_TABLES
        }


def declare_bronze_table(table: str, schema: pa.Schema) -> BronzeTable:
    return BronzeTable(
        name=bronze_table_name(table),
        prefix=table_prefix(table),
        schema=pa.schema([pa.field(item.name, item.type) for item in schema]),
        partition_columns=(PARTITION,),
    )


def aurora_bronze_tables(lake_root: Path) -> list[BronzeTable]:
    """One BronzeTable per extracted table, typed as its latest extraction.

    Columns only ever get added to the latest file (a removal fails the extraction or is kept as nulls,
    see ``ingestion.aurora.drift``), so it holds every column of every earlier day; the view reads the
    days with ``union_by_name``, earlier days showing nulls for columns added since.
    """
    base = lake_root / BRONZE_PREFIX
    folders = (
        sorted(path for path in base.iterdir() if path.is_dir() and not path.name.startswith((".", "_")))
        if base.is_dir()
        else []
    )
    declared = {}
    for folder in folders:
        latest = _latest_file(folder)
        if latest is not None:
            declared[folder.name] = declare_bronze_table(folder.name, pq.read_schema(latest))
    for table, schema in demo_schemas().items():
        declared.setdefault(table, declare_bronze_table(table, schema))
    return [declared[name] for name in sorted(declared)]
