"""After dbt build: the day's client records that failed a quality check, for the run report and quarantine.

dbt decides (int_client_health__quarantined, silver); this exports the day's rows to
``quarantine/client_health/<day>/quality/rejected_rows.parquet`` (written aside, then published whole)
so that every rejected row sits in the lake's quarantine with its reason, and returns the counts.

The same on both backends: the counts are SQL through the backend's engine (DuckDB, or Athena on AWS),
the rows are read as the catalog declares them (the DuckDB file, or the table's Parquet on S3 through
Glue) and written through the lake's object store.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core import layout as lake
from core.layout import LakeLayout
from core.storage import LocalObjectStore, ObjectStore
from core.table_readers import CatalogTableReader, TableReader
from ingestion.client_health.contract import SOURCE

CHECKED = "silver.int_client_health__clientes_checked"
QUARANTINED = "silver.int_client_health__quarantined"

# SQL text -> rows; DuckDB gives typed values, Athena text.
RunSql = Callable[[str], list[tuple[Any, ...]]]


def quality_quarantine_key(day: str) -> str:
    return f"{lake.quarantine_prefix(SOURCE, day)}/quality/rejected_rows.parquet"


def _relation_exists(run_sql: RunSql, relation: str) -> bool:
    schema, name = relation.split(".")
    found = run_sql(  # the relation names are the constants above, never input
        "SELECT count(*) FROM information_schema.tables"
        f" WHERE table_schema = '{schema}' AND table_name = '{name}'"
    )
    return bool(found and int(found[0][0]))


def _day_rows(reader: TableReader, day: str) -> pa.Table:
    schema, name = QUARANTINED.split(".")
    wanted = pa.scalar(dt.date.fromisoformat(day), pa.date32())
    batches = reader.read(schema, name)
    parts = [batch.filter(pc.equal(batch.column("ingestion_date").cast(pa.date32()), wanted)) for batch in batches]
    rows = pa.Table.from_batches(parts, schema=batches.schema)
    return rows.sort_by([("source_file", "ascending"), ("source_row", "ascending")])


def _publish_rows(store: ObjectStore, key: str, rows: pa.Table) -> None:
    folder = store.scratch_folder(key)
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=folder)
    os.close(descriptor)
    try:
        pq.write_table(rows, temporary, compression="zstd")
        store.publish_file(Path(temporary), key)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def day_quality(run_sql: RunSql, reader: TableReader, store: ObjectStore, day: str) -> dict[str, Any]:
    """Rows of ``day`` (a checked ``YYYY-MM-DD``) checked and quarantined by reason; ``{}`` when dbt has not
    built the models. ``run_sql`` reads the catalog, ``reader`` the quarantined rows, ``store`` the lake."""
    if not (_relation_exists(run_sql, CHECKED) and _relation_exists(run_sql, QUARANTINED)):
        return {}
    day_filter = f"ingestion_date = DATE '{day}'"
    checked_row = run_sql(f"SELECT count(*) FROM {CHECKED} WHERE {day_filter}")
    by_reason = {
        str(reason): int(count)
        for reason, count in run_sql(
            f"SELECT rejection_reason, count(*) FROM {QUARANTINED} WHERE {day_filter} GROUP BY 1 ORDER BY 1"
        )
    }
    key = quality_quarantine_key(day)
    if by_reason:
        _publish_rows(store, key, _day_rows(reader, day))
    elif store.exists(key):
        store.delete(key)
    quarantined = sum(by_reason.values())
    return {
        "rows_checked": int(checked_row[0][0]) if checked_row else 0,
        "rows_quarantined": quarantined,
        "quarantined_by_reason": by_reason,
        "quarantine_file": key if quarantined else None,
    }


def client_health_quality(layout: LakeLayout, day: str) -> dict[str, Any]:
    """:func:`day_quality` of a local lake, read from its embedded catalog; ``{}`` when there is none."""
    if layout.folder is None or not layout.catalog_path.exists():
        return {}
    catalog = layout.catalog_path
    with duckdb.connect(str(catalog), read_only=True) as connection:
        return day_quality(
            lambda sql: connection.execute(sql).fetchall(),
            CatalogTableReader(catalog),
            LocalObjectStore(layout.root),
            day,
        )
