"""Spark writes directories of part files; the lake wants one deterministic file per input, published whole."""

from __future__ import annotations

import uuid

from pyspark.sql import DataFrame

from core.storage import ObjectStore


def write_single_parquet(frame: DataFrame, store: ObjectStore, target_key: str, order_by: str) -> None:
    """Writes aside, then moves the one part file to ``target_key``: readers never see a partial file."""
    staging = f"_staging/{uuid.uuid4().hex}"
    try:
        frame.coalesce(1).sortWithinPartitions(order_by).write.mode("overwrite").parquet(store.uri(staging))
        parts = [info.key for info in store.list(staging) if info.key.rsplit("/", 1)[-1].startswith("part-")]
        if len(parts) != 1:
            raise RuntimeError(f"expected one Parquet part for {target_key}, Spark wrote {len(parts)}")
        store.move(parts[0], target_key)
    finally:
        store.delete_prefix(staging)
