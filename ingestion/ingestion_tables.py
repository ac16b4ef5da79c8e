"""The bronze table every source shares: one manifest per landed file, read back from reports/manifests."""

from __future__ import annotations

import pyarrow as pa

from core import layout as lake
from core.catalog import BronzeTable

MANIFESTS_TABLE = BronzeTable(
    name="ingestion_manifests",
    prefix=f"{lake.REPORTS}/manifests",
    file_glob="*/*/*.json",
    file_format="json",
    schema=pa.schema(
        [
            ("source", pa.string()),
            ("day", pa.string()),
            ("file_id", pa.string()),
            ("key", pa.string()),
            ("etag", pa.string()),
            ("status", pa.string()),
            ("rows_read", pa.int64()),
            ("rows_landed", pa.int64()),
            ("rows_quarantined", pa.int64()),
            ("reason", pa.string()),
        ]
    ),
)
