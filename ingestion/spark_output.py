"""Spark writes directories of part files; the lake gets them written aside, counted, then published whole.

A file's output is one Parquet file per read split (``spark_records.SPLIT_BYTES`` of input each), so
a small input gives one file and a huge one a few dozen files of Athena-friendly size, never
thousands of tiny ones. One part is published as ``<stem>.parquet``, several as
``<stem>~~part-NNNNN.parquet`` (``~~`` cannot occur inside a file id, so no other file's parts match).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame, DataFrameWriter, SparkSession

from core.storage import ObjectStore

PART_MARK = "~~part-"


@dataclass(frozen=True)
class StagedFiles:
    """Parquet parts written under a staging prefix."""

    prefix: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class StagedParquet(StagedFiles):
    """Staged parts with their row count, read back from their footers."""

    rows: int


def write_parquet_aside(
    spark: SparkSession,
    frame: DataFrame,
    store: ObjectStore,
    *,
    files: int,
    order_by: str | None,
    gather: bool = False,
) -> StagedParquet:
    """Writes ``frame`` as at most ``files`` Parquet parts under a fresh staging prefix and counts them.

    ``gather``: shuffle the rows into the parts instead of merging partitions; for a few rows (the
    rejected ones) out of many, so the parse upstream keeps running on every core.
    """
    shaped = frame.repartition(max(files, 1)) if gather else frame.coalesce(max(files, 1))
    if order_by is not None:
        shaped = shaped.sortWithinPartitions(order_by)
    staged = _write(shaped.write, store)
    # Counted from what was written (Parquet footers), not from the plan that produced it.
    rows = spark.read.parquet(*(store.uri(part) for part in staged.parts)).count() if staged.parts else 0
    return StagedParquet(prefix=staged.prefix, parts=staged.parts, rows=rows)


def write_scratch_copy(frame: DataFrame, store: ObjectStore) -> StagedFiles:
    """Writes ``frame`` one part per partition, plain (neither compressed nor dictionary-encoded): a
    copy read once and deleted, for which encoding costs more time than its extra bytes do."""
    plain = frame.write.option("compression", "none").option("parquet.enable.dictionary", "false")
    return _write(plain, store)


def _write(writer: DataFrameWriter, store: ObjectStore) -> StagedFiles:
    prefix = f"_staging/{uuid.uuid4().hex}"
    writer.mode("overwrite").parquet(store.uri(prefix))
    parts = tuple(
        info.key
        for info in store.list(prefix)
        if info.key.rsplit("/", 1)[-1].startswith("part-") and info.key.endswith(".parquet")
    )
    return StagedFiles(prefix=prefix, parts=parts)


def published_keys(stem: str, parts: int) -> list[str]:
    if parts <= 1:
        return [f"{stem}.parquet"]
    return [f"{stem}{PART_MARK}{index:05d}.parquet" for index in range(parts)]


def remove_published(store: ObjectStore, stem: str) -> None:
    """Deletes what an earlier run published for ``stem`` (one file or its parts)."""
    store.delete(f"{stem}.parquet")
    folder, _, name = stem.rpartition("/")
    for info in store.list(folder):
        if info.key.rsplit("/", 1)[-1].startswith(f"{name}{PART_MARK}"):
            store.delete(info.key)


def publish_parquet(store: ObjectStore, staged: StagedParquet, stem: str) -> list[str]:
    """Replaces what ``stem`` held by the staged parts; returns the published keys."""
    remove_published(store, stem)
    targets = published_keys(stem, len(staged.parts))
    for part, target in zip(sorted(staged.parts), targets, strict=False):
        store.move(part, target)
    discard(store, staged)
    return targets if staged.parts else []


def discard(store: ObjectStore, staged: StagedFiles) -> None:
    store.delete_prefix(staged.prefix)
