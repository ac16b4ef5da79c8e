"""What the layouts declare downstream: the bronze tables, the dbt source columns, the gold contract.

Every column list here is computed from the layout files, so a column added to a layout appears in
bronze, in the dbt sources and in ``gold.contract_plans`` without being written anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from core.catalog import BronzeTable, duckdb_type
from ingestion.positional.converter import bronze_table_prefix
from ingestion.positional.layout import (
    PARTITION_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_LINE_COLUMN,
    Layout,
    default_layouts,
)

CONTRACTS = "contracts"
PLAN_CATALOG = "plan_catalog"
LINEAGE_DESCRIPTIONS = {
    SOURCE_FILE_COLUMN: "Landing key of the file the row came from.",
    SOURCE_LINE_COLUMN: "1-based line number of the record in that file.",
    PARTITION_COLUMN: "Day the file was delivered (YYYY-MM-DD), the Hive partition.",
}


def positional_bronze_tables(layouts: Mapping[str, Layout] | None = None) -> list[BronzeTable]:
    """One bronze table per layout: ``positional_<layout>``, partitioned by ``ingestion_date``."""
    return [
        BronzeTable(
            name=layout.bronze_table_name,
            prefix=bronze_table_prefix(layout.name),
            schema=layout.arrow_schema(),
            partition_columns=(PARTITION_COLUMN,),
        )
        for layout in sorted((layouts or default_layouts()).values(), key=lambda item: item.name)
    ]


def sql_type(data_type: pa.DataType) -> str:
    """The column type as dbt contracts spell it; the same words work on DuckDB and Athena."""
    return duckdb_type(data_type).lower()


def dbt_source_tables(layouts: Mapping[str, Layout] | None = None) -> list[dict[str, Any]]:
    """The ``tables:`` entries of a dbt source over schema ``bronze``, with types and not-null tests."""
    entries = []
    for table in positional_bronze_tables(layouts):
        layout = (layouts or default_layouts())[table.name.removeprefix("positional_")]
        columns = []
        for column in [*table.schema, pa.field(PARTITION_COLUMN, pa.string(), nullable=False)]:
            entry: dict[str, Any] = {"name": column.name, "data_type": sql_type(column.type)}
            declared = (column.metadata or {}).get(b"description", b"").decode()
            description = declared or LINEAGE_DESCRIPTIONS.get(column.name)
            if description:
                entry["description"] = description
            if not column.nullable:
                entry["data_tests"] = ["not_null"]
            columns.append(entry)
        entries.append(
            {
                "name": table.name,
                "description": layout.description or layout.name,
                "meta": {"file_pattern": layout.file_pattern, "key": list(layout.key)},
                "columns": columns,
            }
        )
    return entries


def contract_plans_schema(layouts: Mapping[str, Layout] | None = None) -> pa.Schema:
    """``gold.contract_plans``: every contract column, then the plan columns the contract lacks."""
    found = layouts or default_layouts()
    contracts, plans = found[CONTRACTS].data_schema(), found[PLAN_CATALOG].data_schema()
    return pa.schema([*contracts, *(column for column in plans if column.name not in contracts.names)])


def contract_plans_key(layouts: Mapping[str, Layout] | None = None) -> tuple[str, ...]:
    return (layouts or default_layouts())[CONTRACTS].key
