"""Where an extracted table lands, and how a day is replaced without ever being half visible.

A table's day is one Parquet file, ``bronze/aurora/<table>/extraction_date=<D>/data.parquet``, written
aside (a staging file next to the lake, or a local temporary file for S3), verified (row count and
schema from its footer), then published in one step: a rename on the local lake, a single upload on
S3 (an S3 object, multipart or not, becomes visible whole). Other days are never touched, so the
folder per extraction date is the table's history. The schema of the latest extraction is kept in
``bronze/aurora/<table>/_schema.json`` (Athena and the bronze views skip ``_`` files) for the drift check.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from core import layout as lake
from core.storage import ObjectStore

SOURCE = "aurora"
BRONZE_PREFIX = lake.bronze_prefix(SOURCE)
PARTITION = "extraction_date"
DATA_FILE = "data.parquet"
STAGING = f"{BRONZE_PREFIX}/.staging"


def table_folder(table: str) -> str:
    """The table's folder name: safe on S3 and lower case, as Glue and Athena name tables (so two source
    tables differing only by case could not both be catalogued anyway)."""
    return lake.safe_name(table).lower()


def table_prefix(table: str) -> str:
    return f"{BRONZE_PREFIX}/{table_folder(table)}"


def day_key(table: str, day: str) -> str:
    return f"{table_prefix(table)}/{PARTITION}={day}/{DATA_FILE}"


def schema_key(table: str) -> str:
    return f"{table_prefix(table)}/_schema.json"


@contextmanager
def staged_file(store: ObjectStore) -> Iterator[Path]:
    """A scratch file for the Parquet being written; on the local lake, on the same file system as bronze."""
    folder = store.scratch_folder(f"{STAGING}/file")
    handle, name = tempfile.mkstemp(suffix=".parquet", dir=folder)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def write_parquet(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
    """One row group per batch; returns the rows written."""
    rows = 0
    # Dictionary-encode text only: keys, amounts and instants are mostly distinct in operational tables, and
    # trying a dictionary on them costs more CPU than the rest of the write (bench/aurora.py) for no gain.
    text = [item.name for item in schema if pa.types.is_string(item.type)]
    with pq.ParquetWriter(path, schema, compression="snappy", use_dictionary=text) as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


class VerificationError(RuntimeError):
    pass


def verify(path: Path, schema: pa.Schema, rows: int) -> int:
    """Rows in the written file, from its footer; it must hold every row read, with the intended schema."""
    written = pq.read_metadata(path)
    if written.num_rows != rows:
        raise VerificationError(f"{path}: {written.num_rows} rows written, {rows} read")
    if not written.schema.to_arrow_schema().equals(schema):
        raise VerificationError(f"{path}: written schema differs from the source's")
    return int(written.num_rows)


def publish(store: ObjectStore, path: Path, key: str) -> None:
    """Makes ``path`` the object ``key`` in one step, replacing what was there."""
    store.publish_file(path, key)


@dataclass(frozen=True)
class SchemaState:
    day: str
    schema: pa.Schema


def write_schema_state(store: ObjectStore, table: str, day: str, schema: pa.Schema) -> None:
    document = {
        "table": table,
        PARTITION: day,
        "columns": [
            {"name": item.name, "type": str(item.type), "source_type": (item.metadata or {}).get(b"source_type", b"").decode()}
            for item in schema
        ],
        "arrow_schema": base64.b64encode(schema.serialize().to_pybytes()).decode(),
    }
    store.write_bytes(schema_key(table), (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode())


def read_schema_state(store: ObjectStore, table: str) -> SchemaState | None:
    key = schema_key(table)
    if not store.exists(key):
        return None
    document = json.loads(store.read_bytes(key))
    schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(document["arrow_schema"])))
    return SchemaState(day=str(document[PARTITION]), schema=schema)
