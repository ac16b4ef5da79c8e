"""After dbt build: the day's client records that failed a quality check, for the run report and quarantine.

dbt decides (int_client_health__quarantined, silver); this exports the day's rows to
``quarantine/client_health/<day>/quality/rejected_rows.parquet`` (written aside, then renamed) so
that every rejected row sits in the lake's quarantine with its reason, and returns the counts.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb

from core import layout as lake
from core.layout import LakeLayout
from ingestion.client_health.contract import SOURCE

CHECKED = "silver.int_client_health__clientes_checked"
QUARANTINED = "silver.int_client_health__quarantined"


def quality_quarantine_key(day: str) -> str:
    return f"{lake.quarantine_prefix(SOURCE, day)}/quality/rejected_rows.parquet"


def _relation_exists(connection: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    found = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def client_health_quality(layout: LakeLayout, day: str) -> dict[str, Any]:
    """Rows of ``day`` checked and quarantined by reason; ``{}`` when dbt has not built the models.

    Read from the embedded catalog; a lake in a bucket has none, and its report leaves the counts out.
    """
    if layout.folder is None:
        return {}
    catalog = layout.catalog_path
    if not catalog.exists():
        return {}
    with duckdb.connect(str(catalog), read_only=True) as connection:
        if not (_relation_exists(connection, CHECKED) and _relation_exists(connection, QUARANTINED)):
            return {}
        day_filter = "ingestion_date = CAST(? AS DATE)"
        checked_row = connection.execute(
            f"SELECT count(*) FROM {CHECKED} WHERE {day_filter}", [day]
        ).fetchone()
        by_reason = dict(
            connection.execute(
                f"SELECT rejection_reason, count(*) FROM {QUARANTINED} WHERE {day_filter} GROUP BY 1 ORDER BY 1",
                [day],
            ).fetchall()
        )
        target = layout.path(quality_quarantine_key(day))
        if by_reason:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".tmp-{target.name}")
            escaped = str(temporary).replace("'", "''")
            connection.execute(
                f"COPY (SELECT * FROM {QUARANTINED} WHERE {day_filter} ORDER BY source_file, source_row) "
                f"TO '{escaped}' (FORMAT parquet, COMPRESSION zstd)",
                [day],
            )
            os.replace(temporary, target)
        else:
            target.unlink(missing_ok=True)
    quarantined = sum(int(count) for count in by_reason.values())
    return {
        "rows_checked": int(checked_row[0]) if checked_row else 0,
        "rows_quarantined": quarantined,
        "quarantined_by_reason": {str(reason): int(count) for reason, count in by_reason.items()},
        "quarantine_file": quality_quarantine_key(day) if quarantined else None,
    }
