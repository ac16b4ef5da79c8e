"""Bronze tables in the Glue Data Catalog, from the same BronzeTable declarations the local catalog uses.

A Glue table has one location and reads every file below it; it cannot glob. So each ``*`` folder
level of a table's file pattern becomes a partition: named after the table's partition column where
the folder is ``column=value`` (Hive style), else ``partition_<n>`` as a Glue crawler names it. Fixed
folder levels (``*/rows/*.parquet``) end up inside each partition's location, so the CSVs and
``reason.json`` beside ``rows/`` are never read. Partitions are registered from the objects present.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from ingestion.catalog import BronzeTable
from ingestion.storage import ObjectStore

PARQUET_STORAGE = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
JSON_STORAGE = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
}


def athena_type(data_type: pa.DataType) -> str:
    """The Glue (Hive) type Athena reads a Parquet or JSON column as."""
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


def partition_keys(table: BronzeTable) -> list[str]:
    levels = table.relative_glob().split("/")[:-1]
    wildcards = [index for index, level in enumerate(levels) if level == "*"]
    return [
        table.partition_columns[position]
        if position < len(table.partition_columns)
        else f"partition_{position}"
        for position, _index in enumerate(wildcards)
    ]


def partitions_present(table: BronzeTable, keys: Iterable[str]) -> dict[tuple[str, ...], str]:
    """Partition values -> the key prefix (below the table's) holding that partition's files."""
    pattern = table.relative_glob()
    levels = pattern.split("/")[:-1]
    found: dict[tuple[str, ...], str] = {}
    for relative in keys:
        if not fnmatch.fnmatchcase(relative, pattern) or len(relative.split("/")) != len(levels) + 1:
            continue
        folders = relative.split("/")[:-1]
        values = []
        for position, (_level, folder) in enumerate(
            (level, folder) for level, folder in zip(levels, folders, strict=True) if level == "*"
        ):
            name, separator, value = folder.partition("=")
            is_hive = (
                separator
                and position < len(table.partition_columns)
                and name == table.partition_columns[position]
            )
            values.append(value if is_hive else folder)
        found[tuple(values)] = "/".join(folders) + "/"
    return found


def table_input(table: BronzeTable, location: str) -> dict[str, Any]:
    partition_names = partition_keys(table)
    storage = JSON_STORAGE if table.file_format == "json" else PARQUET_STORAGE
    return {
        "Name": table.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": table.file_format},
        "StorageDescriptor": {
            **storage,
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
    store: ObjectStore, glue: Any, tables: Iterable[BronzeTable], database: str = "bronze"
) -> dict[str, int]:
    """Creates or redefines each table in Glue and registers every partition present in the store.

    Returns table name -> partitions registered now. Rerunning adds only partitions that appeared."""
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": database})
    registered: dict[str, int] = {}
    for table in tables:
        base = table.prefix.rstrip("/") + "/"
        definition = table_input(table, store.uri(base))
        try:
            glue.get_table(DatabaseName=database, Name=table.name)
            glue.update_table(DatabaseName=database, TableInput=definition)
        except glue.exceptions.EntityNotFoundException:
            glue.create_table(DatabaseName=database, TableInput=definition)
        present = partitions_present(table, (info.key[len(base) :] for info in store.list(base)))
        if not definition["PartitionKeys"]:
            registered[table.name] = 0
            continue
        existing = {
            tuple(partition["Values"])
            for page in glue.get_paginator("get_partitions").paginate(
                DatabaseName=database, TableName=table.name
            )
            for partition in page["Partitions"]
        }
        new = [
            {
                "Values": list(values),
                "StorageDescriptor": {
                    **{
                        key: definition["StorageDescriptor"][key]
                        for key in ("InputFormat", "OutputFormat", "SerdeInfo")
                    },
                    "Columns": definition["StorageDescriptor"]["Columns"],
                    "Location": store.uri(base + folder),
                },
            }
            for values, folder in sorted(present.items())
            if values not in existing
        ]
        for start in range(0, len(new), 100):
            glue.batch_create_partition(
                DatabaseName=database, TableName=table.name, PartitionInputList=new[start : start + 100]
            )
        registered[table.name] = len(new)
    return registered
