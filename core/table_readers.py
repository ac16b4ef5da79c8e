"""Readers of published tables for the publishers (MySQL, OpenSearch): the catalog file locally, S3 on AWS.

Publication reads what dbt built, never the engine's internals: locally the DuckDB catalog file; on AWS
the table's Parquet files on S3, found through the Glue Data Catalog (its location, or each
partition's location with the partition values added as columns). Both give Arrow record batches typed
as the catalog declares the table, so one publisher serves both backends.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq


class TableReader(Protocol):
    def read(self, schema: str, table: str) -> pa.RecordBatchReader: ...


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class CatalogTableReader:
    """The embedded lake: ``schema.table`` in the DuckDB catalog file, opened read-only."""

    def __init__(self, catalog_path: Path, rows_per_batch: int = 100_000) -> None:
        self.catalog_path = catalog_path
        self.rows_per_batch = rows_per_batch

    def read(self, schema: str, table: str) -> pa.RecordBatchReader:
        import duckdb  # not in the Lambda artifact: only the local reader needs it

        connection = duckdb.connect(str(self.catalog_path), read_only=True)
        try:
            # TIMESTAMPTZ values arrive in UTC whatever the machine's zone.
            connection.execute("SET TimeZone = 'UTC'")
            result = connection.execute(f"SELECT * FROM {_quote(schema)}.{_quote(table)}")
            source = result.fetch_record_batch(self.rows_per_batch)
        except BaseException:
            connection.close()
            raise

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from source
            finally:
                connection.close()

        return pa.RecordBatchReader.from_batches(source.schema, batches())


_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")
_SIMPLE_TYPES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "string": pa.string(),
}


def arrow_type(glue_type: str) -> pa.DataType:
    """The Arrow type of a Glue column type (the inverse of ``core.catalog.athena_type``)."""
    name = glue_type.strip().lower()
    if name in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[name]
    if match := _DECIMAL.fullmatch(name):
        return pa.decimal128(int(match[1]), int(match[2]))
    if name.startswith(("varchar", "char")):
        return pa.string()
    raise TypeError(f"no Arrow type for the Glue type {glue_type!r}")


def _is_data(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(("_", "."))


class GlueTableReader:
    """The AWS path: ``schema.table`` is a Glue table; its Parquet files are read from S3 one at a time."""

    def __init__(self, glue: Any, s3: Any) -> None:
        self.glue = glue
        self.s3 = s3

    def _locations(self, schema: str, table: dict[str, Any]) -> list[tuple[str, list[str]]]:
        if not table.get("PartitionKeys"):
            return [(table["StorageDescriptor"]["Location"], [])]
        found = []
        pages = self.glue.get_paginator("get_partitions").paginate(DatabaseName=schema, TableName=table["Name"])
        for page in pages:
            found += [(item["StorageDescriptor"]["Location"], item["Values"]) for item in page["Partitions"]]
        return sorted(found, key=lambda item: item[1])

    def _objects(self, location: str) -> list[tuple[str, str]]:
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [item["Key"] for item in page.get("Contents", []) if _is_data(item["Key"])]
        return [(bucket, key) for key in sorted(keys)]

    def read(self, schema: str, table: str) -> pa.RecordBatchReader:
        described = self.glue.get_table(DatabaseName=schema, Name=table)["Table"]
        columns = [(c["Name"], arrow_type(c["Type"])) for c in described["StorageDescriptor"]["Columns"]]
        keys = [(k["Name"], arrow_type(k["Type"])) for k in described.get("PartitionKeys", [])]
        target = pa.schema([*columns, *keys])
        locations = self._locations(schema, described)

        def batches() -> Iterator[pa.RecordBatch]:
            for location, values in locations:
                constants = dict(zip([name for name, _ in keys], values, strict=True))
                for bucket, key in self._objects(location):
                    body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                    for batch in pq.ParquetFile(io.BytesIO(body)).iter_batches():
                        arrays = [
                            pa.array([constants[name]] * batch.num_rows, pa.string()).cast(data_type)
                            if name in constants
                            else batch.column(name).cast(data_type)
                            for name, data_type in zip(target.names, target.types, strict=True)
                        ]
                        yield pa.RecordBatch.from_arrays(arrays, schema=target)

        return pa.RecordBatchReader.from_batches(target, batches())
