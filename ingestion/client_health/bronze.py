"""The client-files Glue job's work: a day's three files -> bronze Parquet, rejected rows, one manifest each.

Each file goes through the shared Spark landing skeleton (``ingestion.spark_landing``) with its own
read. A file that cannot be read at all (not Parquet, a CSV header lacking a required column, a JSON
file that is neither JSON Lines nor a valid array, a Parquet file missing contract columns) is
copied to quarantine with its reason and lands nothing; the other files of the day still land.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from core.storage import ObjectStore
from ingestion import spark_landing
from ingestion.client_health import transforms
from ingestion.client_health.contract import COLUMNS, FORMATS, SOURCE, bronze_key, file_id, landing_key
from ingestion.client_health.pseudonym import PseudonymKey
from ingestion.client_health.validation import (
    HEAD_BYTES,
    InvalidDelivery,
    check_delivery,
    csv_header,
    json_layout,
)
from ingestion.csv_header import MAX_FIELD_CHARS
from ingestion.manifest import FileManifest
from ingestion.partner_csv.validation import detect_encoding
from ingestion.spark_landing import SPARK_ERRORS, LandingTarget, ParsedFile, UnreadableFile
from ingestion.spark_records import LINE, SPLIT_BYTES, TextRecords, read_text_records

_CORRUPT = "_corrupt_record"


def _unreadable(key: str, fmt: str, exc: BaseException) -> UnreadableFile:
    text = str(exc).strip()
    return UnreadableFile(
        f"{key}: not a readable {fmt} file: {text.splitlines()[0] if text else type(exc).__name__}"
    )


def _parsed(
    parsed: DataFrame, fmt: str, key: str, ingested_at: str, rows_read: int, files: int, pseudonym: PseudonymKey
) -> ParsedFile:
    return ParsedFile(
        rows_read=rows_read,
        bronze=transforms.bronze_rows(parsed, fmt, key, ingested_at, pseudonym),
        quarantined=transforms.quarantined_rows(parsed, key),
        in_order=False,
        files=files,
    )


def _lines(spark: SparkSession, store: ObjectStore, key: str, head: bytes, *, csv: bool) -> TextRecords:
    encoding, _bom = detect_encoding(head, complete=len(head) < HEAD_BYTES)
    return read_text_records(spark, store.uri(key), encoding, quoted=csv, skip_header=csv)


def read_parquet(
    spark: SparkSession, store: ObjectStore, key: str, _head: bytes
) -> tuple[DataFrame, int, int]:
    try:
        frame = spark.read.parquet(store.uri(key))
        rows = frame.count()  # from the footers: also proves the file is Parquet throughout
    except SPARK_ERRORS as exc:
        raise _unreadable(key, "parquet", exc) from exc
    missing = [name for name in COLUMNS["parquet"] if name not in frame.columns]
    if missing:
        raise UnreadableFile(f"{key}: missing contract columns {', '.join(missing)}", rows=rows)
    numbered = frame.select("*", (F.col("_metadata.row_index") + 1).cast("long").alias(transforms.ROW))
    return transforms.parse_parquet(numbered), rows, max(1, math.ceil(store.head(key).size / SPLIT_BYTES))


def read_csv(spark: SparkSession, store: ObjectStore, key: str, head: bytes) -> tuple[DataFrame, int, int]:
    header = csv_header(key, head)
    text = _lines(spark, store, key, head, csv=True)
    parsed = transforms.parse_csv(text.records, header, MAX_FIELD_CHARS, multi_line=text.multi_line_records)
    return parsed, text.rows_read, text.splits


def _array_records(spark: SparkSession, store: ObjectStore, key: str) -> tuple[DataFrame, int]:
    """A top-level JSON array read by Spark's JSON source: one record per element, numbered from 1.

    The array is one JSON document, which Spark reads in one task; its elements keep their order, so
    their position in that one partition is their element number.
    """
    schema = T.StructType(
        [
            *(T.StructField(name, T.StringType()) for name in COLUMNS["json"]),
            T.StructField(_CORRUPT, T.StringType()),
        ]
    )
    elements = (
        spark.read.schema(schema)
        .options(multiLine=True, mode="PERMISSIVE", columnNameOfCorruptRecord=_CORRUPT)
        .json(store.uri(key))
    )
    # Spark refuses a query of the corrupt-record column alone, hence the count of a real column too.
    counts = elements.agg(
        F.count(_CORRUPT).alias("corrupt"), F.count(COLUMNS["json"][0]), F.count(F.lit(1)).alias("rows")
    ).first()
    if counts is None or counts["corrupt"]:
        raise UnreadableFile(f"{key}: starts like a JSON array but is not valid JSON")
    records = elements.select(
        (F.monotonically_increasing_id() + 1).alias(transforms.ROW),
        F.to_json(F.struct(*COLUMNS["json"])).alias("raw_record"),
    )
    return records, int(counts["rows"])


def read_json(spark: SparkSession, store: ObjectStore, key: str, head: bytes) -> tuple[DataFrame, int, int]:
    if json_layout(key, head) == "lines":
        text = _lines(spark, store, key, head, csv=False)
        records = text.records.withColumnRenamed(LINE, transforms.ROW)
        return transforms.parse_json(records), text.rows_read, text.splits
    records, rows = _array_records(spark, store, key)
    return transforms.parse_json(records), rows, 1


READERS: dict[str, Callable[[SparkSession, ObjectStore, str, bytes], tuple[DataFrame, int, int]]] = {
    "parquet": read_parquet,
    "csv": read_csv,
    "json": read_json,
}


def land_file(
    spark: SparkSession, store: ObjectStore, fmt: str, day: str, ingested_at: str, pseudonym: PseudonymKey
) -> FileManifest:
    key = landing_key(day, fmt)
    info = store.head(key)
    target = LandingTarget(
        source=SOURCE,
        day=day,
        file_id=file_id(fmt),
        key=key,
        etag=info.etag,
        bronze_stem=bronze_key(fmt, day).removesuffix(".parquet"),
        line_column=transforms.ROW,
    )

    def read() -> ParsedFile:
        head = store.read_bytes(key, HEAD_BYTES)
        try:
            check_delivery(fmt, key, head, info.size)
        except InvalidDelivery as exc:
            raise UnreadableFile(str(exc)) from exc
        parsed, rows_read, files = READERS[fmt](spark, store, key, head)
        return _parsed(parsed, fmt, key, ingested_at, rows_read, files, pseudonym)

    return spark_landing.land_file(spark, store, target, read)


def land_day(
    spark: SparkSession,
    store: ObjectStore,
    day: str,
    ingested_at: str,
    pseudonym: PseudonymKey,
    formats: Sequence[str] = FORMATS,
) -> list[FileManifest]:
    """Lands the day's files (all three, or the good ones of an incomplete day); each gets a manifest.
    Every landed row carries its client id, made with ``pseudonym`` (the key never leaves this job)."""
    return [land_file(spark, store, fmt, day, ingested_at, pseudonym) for fmt in formats]
