"""The client-files Glue job's work: a day's three files -> bronze Parquet, rejected rows, one manifest each.

A file that cannot be read at all (not Parquet, a CSV header that is not the contract's, a JSON file
that is neither JSON Lines nor a valid array, a Parquet file missing contract columns) is copied to
quarantine with its reason and lands nothing; the other files of the day still land.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from core.storage import ObjectStore
from ingestion.client_health import transforms
from ingestion.client_health.contract import COLUMNS, FORMATS, SOURCE, bronze_key, file_id, landing_key
from ingestion.client_health.validation import HEAD_BYTES, InvalidDelivery, check_delivery, json_layout
from ingestion.manifest import FileManifest, write_manifest
from ingestion.partner_csv.validation import detect_encoding
from ingestion.quarantine import quarantine_file, quarantined_rows_key
from ingestion.spark_output import write_single_parquet


class UnreadableFile(ValueError):
    pass


def _unreadable(key: str, fmt: str, exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{key}: not a readable {fmt} file: {text.splitlines()[0] if text else type(exc).__name__}"


def _text(spark: SparkSession, store: ObjectStore, key: str, head: bytes) -> DataFrame:
    encoding, _bom = detect_encoding(head, complete=len(head) < HEAD_BYTES)
    files = spark.read.format("binaryFile").load(store.uri(key))
    return files.select(F.regexp_replace(F.decode(F.col("content"), encoding), "^\ufeff", "").alias("text"))


def read_parquet(spark: SparkSession, store: ObjectStore, key: str, _head: bytes) -> DataFrame:
    frame = spark.read.parquet(store.uri(key))
    missing = [name for name in COLUMNS["parquet"] if name not in frame.columns]
    if missing:
        raise UnreadableFile(f"{key}: missing contract columns {', '.join(missing)}")
    numbered = frame.select("*", (F.col("_metadata.row_index") + 1).cast("long").alias("source_row"))
    return transforms.parse_parquet(numbered)


def read_csv(spark: SparkSession, store: ObjectStore, key: str, head: bytes) -> DataFrame:
    return transforms.parse_csv(transforms.numbered_lines(_text(spark, store, key, head), skip_header=True))


def read_json(spark: SparkSession, store: ObjectStore, key: str, head: bytes) -> DataFrame:
    text = _text(spark, store, key, head)
    if json_layout(key, head) == "lines":
        return transforms.parse_json(transforms.numbered_lines(text, skip_header=False))
    elements = transforms.array_elements(text)
    if elements.where(F.col("elements").isNull()).limit(1).count():
        raise UnreadableFile(f"{key}: starts like a JSON array but is not valid JSON")
    return transforms.parse_json(transforms.array_records(elements))


READERS: dict[str, Callable[[SparkSession, ObjectStore, str, bytes], DataFrame]] = {
    "parquet": read_parquet,
    "csv": read_csv,
    "json": read_json,
}


def _quarantine_whole_file(
    store: ObjectStore, fmt: str, day: str, key: str, etag: str, reason: str
) -> FileManifest:
    identifier = file_id(fmt)
    target = quarantine_file(store, SOURCE, day, identifier, key, reason)
    store.delete(bronze_key(fmt, day))
    store.delete(quarantined_rows_key(SOURCE, day, identifier))
    manifest = FileManifest(
        source=SOURCE, day=day, file_id=identifier, key=key, etag=etag, status="quarantined", reason=reason,
        outputs=[target],
    )  # fmt: skip
    write_manifest(store, manifest)
    return manifest


def land_file(spark: SparkSession, store: ObjectStore, fmt: str, day: str, ingested_at: str) -> FileManifest:
    key = landing_key(day, fmt)
    info = store.head(key)
    head = store.read_bytes(key, HEAD_BYTES)
    identifier = file_id(fmt)
    try:
        check_delivery(fmt, key, head, info.size)
        parsed = READERS[fmt](spark, store, key, head)
    except (InvalidDelivery, UnreadableFile) as exc:
        return _quarantine_whole_file(store, fmt, day, key, info.etag, str(exc))
    except (CapturedException, Py4JJavaError) as exc:
        return _quarantine_whole_file(store, fmt, day, key, info.etag, _unreadable(key, fmt, exc))
    parsed = parsed.persist()
    try:
        # The first full read: a file Spark cannot read fails here, before anything is written.
        counts = {
            row["code"]: int(row["count"])
            for row in parsed.groupBy(F.col("reason.code").alias("code")).count().collect()
        }
    except (CapturedException, Py4JJavaError) as exc:
        parsed.unpersist()
        return _quarantine_whole_file(store, fmt, day, key, info.etag, _unreadable(key, fmt, exc))
    try:
        rows_landed = counts.pop(None, 0)
        rows_quarantined = sum(counts.values())
        write_single_parquet(
            transforms.bronze_rows(parsed, fmt, key, ingested_at),
            store,
            bronze_key(fmt, day),
            order_by="source_row",
        )
        rejected_key = quarantined_rows_key(SOURCE, day, identifier)
        if rows_quarantined:
            write_single_parquet(
                transforms.quarantined_rows(parsed, key), store, rejected_key, order_by="source_row"
            )
        else:
            store.delete(rejected_key)
    finally:
        parsed.unpersist()
    manifest = FileManifest(
        source=SOURCE,
        day=day,
        file_id=identifier,
        key=key,
        etag=info.etag,
        status="landed",
        rows_read=rows_landed + rows_quarantined,
        rows_landed=rows_landed,
        rows_quarantined=rows_quarantined,
        quarantined_by_reason=dict(sorted(counts.items())),
        outputs=[bronze_key(fmt, day), *([rejected_key] if rows_quarantined else [])],
    )
    write_manifest(store, manifest)
    return manifest


def land_day(
    spark: SparkSession, store: ObjectStore, day: str, ingested_at: str, formats: Sequence[str] = FORMATS
) -> list[FileManifest]:
    """Lands the day's files (all three, or the good ones of an incomplete day); each gets a manifest."""
    return [land_file(spark, store, fmt, day, ingested_at) for fmt in formats]
