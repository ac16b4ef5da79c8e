"""Landing one file with Spark: read -> parse -> split landed / quarantined -> write aside -> verify -> publish.

Every Spark source (partner CSV, the client files) plugs its own read and parse into this one
skeleton. The reconciliation is real: ``rows_read`` comes from the reader (records as the file
holds them, counted before any parse), and rows landed and quarantined are counted from the Parquet
files actually written. If they do not add up, nothing is published, the manifest says ``failed``
and the job raises. A Spark failure (a crash, a JVM that died) also leaves a ``failed`` manifest
and raises, so the run sees a failed job, never a silent success.

A read gives either a ``CheckedFile`` (every record once, each with its ``reason``) or a
``ParsedFile`` (the landed and the rejected rows as two plans). A ``CheckedFile`` is parsed ONCE:
the checked records are written to a staging Parquet copy, and the bronze and quarantine outputs
are projections of that copy, so the parse (the costly part) never runs twice. A ``ParsedFile``
runs its parse once per output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from py4j.protocol import Py4JError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from core.storage import ObjectStore
from ingestion.manifest import FileManifest, ReconciliationError, write_manifest
from ingestion.quarantine import quarantine_file, quarantined_rows_key
from ingestion.spark_output import (
    StagedFiles,
    StagedParquet,
    discard,
    publish_parquet,
    remove_published,
    write_parquet_aside,
    write_scratch_copy,
)
from ingestion.spark_records import QUOTE

EXTRA_FIELD = "_extra_field"
SPARK_ERRORS: tuple[type[BaseException], ...] = (CapturedException, Py4JError, ConnectionError)
_REASON_CHARS = 300


class UnreadableFile(ValueError):
    """The whole file is rejected (quarantined with this message); ``rows`` records it still held."""

    def __init__(self, message: str, rows: int = 0) -> None:
        super().__init__(message)
        self.rows = rows


class SparkJobFailed(RuntimeError):
    """The landing job failed; its manifest (status ``failed``) is written before this is raised."""


@dataclass(frozen=True)
class LandingTarget:
    """Where one delivered file lands. ``bronze_stem``: the bronze key without ``.parquet``."""

    source: str
    day: str
    file_id: str
    key: str
    etag: str
    bronze_stem: str
    line_column: str  # source_line | source_row


@dataclass(frozen=True)
class ParsedFile:
    """A source's read and parse of one file.

    ``bronze``: the rows that land, in the bronze schema. ``quarantined``: the rejected rows with
    ``reason_code``. ``in_order``: rows already follow the file within each Spark partition (no sort
    needed). ``files``: how many Parquet parts the output should have.
    """

    rows_read: int
    bronze: DataFrame
    quarantined: DataFrame
    in_order: bool
    files: int
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedFile:
    """A source's read and parse of one file, every record once.

    ``checked``: every record, with its typed values, ``raw_column`` (the record as delivered) and
    ``reason`` (null when the row lands). ``landed`` / ``rejected``: the bronze and quarantine rows
    of such a frame (applied to its staged copy). ``in_order``: rows follow the file within each
    Spark partition.
    """

    rows_read: int
    checked: DataFrame
    raw_column: str
    landed: Callable[[DataFrame], DataFrame]
    rejected: Callable[[DataFrame], DataFrame]
    in_order: bool
    notes: list[str] = field(default_factory=list)


def reason(code: str, column: str, value: Column | None = None) -> Column:
    """The first problem of a row: ``code`` ``<column>:<code>`` and a message (a value only when given)."""
    text = F.lit(f"{column}: {code.replace('_', ' ')}")
    if value is not None:
        text = F.concat(text, F.lit(" '"), value, F.lit("'"))
    return F.struct(F.lit(f"{column}:{code}").alias("code"), text.alias("message"))


def blank_to_null(column: Column) -> Column:
    trimmed = F.trim(column)
    return F.when(trimmed == "", None).otherwise(trimmed)


def quarantined_projection(parsed: DataFrame, source_file: str, line_column: str, raw: Column) -> DataFrame:
    """The rejected rows of ``parsed`` (``reason`` set) in the quarantine table's columns."""
    return parsed.where(F.col("reason").isNotNull()).select(
        F.lit(source_file).alias("source_file"),
        line_column,
        raw,
        F.col("reason.code").alias("reason_code"),
        F.col("reason.message").alias("reason"),
    )


def csv_fields(record: Column, width: int, delimiter: str) -> Column:
    """A record split per RFC 4180: struct ``_c0`` .. ``_c<width-1>`` (text) plus ``_extra_field``, set
    when the record has more fields than its header (``""`` inside quotes is one quote)."""
    schema = ", ".join([*(f"`_c{index}` STRING" for index in range(width)), f"`{EXTRA_FIELD}` STRING"])
    options = {"sep": delimiter, "mode": "PERMISSIVE", "quote": QUOTE, "escape": QUOTE}
    return F.from_csv(record, schema, options)


def with_csv_fields(frame: DataFrame, record: str, width: int, delimiter: str) -> DataFrame:
    """``frame`` plus the fields of its ``record`` column split per RFC 4180: ``_c0`` .. ``_c<width-1>``
    (text) and ``_extra_field`` (set when the record has more fields than its header).

    A record without a quote character is split on the delimiter (cheap); only quoted records go
    through Spark's CSV parser, which costs several times more per record.
    """
    quoted_column, split_column = "_quoted_fields", "_split_fields"
    has_quote = F.instr(F.col(record), QUOTE) > 0
    staged = frame.select(
        "*",
        F.when(has_quote, csv_fields(F.col(record), width, delimiter)).alias(quoted_column),
        F.when(~has_quote, F.split(F.col(record), _literal_pattern(delimiter))).alias(split_column),
    )
    quoted, split = F.col(quoted_column), F.col(split_column)

    def field_at(index: int, name: str) -> Column:
        return F.when(quoted.isNotNull(), quoted[name]).otherwise(F.get(split, index))

    # The CSV parser reads an empty field as null; a trailing empty extra field is no extra field.
    extra = field_at(width, EXTRA_FIELD)
    return staged.select(
        *(F.col(name) for name in frame.columns),
        *(field_at(index, f"_c{index}").alias(f"_c{index}") for index in range(width)),
        F.when(extra != "", extra).alias(EXTRA_FIELD),
    )


def _literal_pattern(delimiter: str) -> str:
    # A backslash before each punctuation character: Java splits on such a two-character pattern
    # without compiling a regular expression.
    return "".join(f"\\{character}" if not character.isalnum() else character for character in delimiter)


def unterminated_quote(record: Column) -> Column:
    return (F.length(record) - F.length(F.translate(record, QUOTE, ""))) % 2 == 1


def failure_reason(key: str, exc: BaseException) -> str:
    """A failure's first line, cut short: Spark messages can be long, and row values never belong here."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    return f"{key}: {type(exc).__name__}: {first[:_REASON_CHARS]}"


def quarantine_whole_file(
    store: ObjectStore, target: LandingTarget, message: str, rows: int = 0
) -> FileManifest:
    copied = quarantine_file(store, target.source, target.day, target.file_id, target.key, message)
    remove_published(store, target.bronze_stem)
    store.delete(quarantined_rows_key(target.source, target.day, target.file_id))
    manifest = FileManifest(
        source=target.source, day=target.day, file_id=target.file_id, key=target.key, etag=target.etag,
        status="quarantined", rows_read=rows, rows_quarantined=rows,
        quarantined_by_reason={"file:rejected": rows} if rows else {}, reason=message, outputs=[copied],
    )  # fmt: skip
    write_manifest(store, manifest)
    return manifest


def _failed(
    store: ObjectStore,
    target: LandingTarget,
    message: str,
    rows_read: int = 0,
    landed: int = 0,
    quarantined: int = 0,
) -> SparkJobFailed:
    manifest = FileManifest(
        source=target.source, day=target.day, file_id=target.file_id, key=target.key, etag=target.etag,
        status="failed", rows_read=rows_read, rows_landed=landed, rows_quarantined=quarantined, reason=message,
    )  # fmt: skip
    write_manifest(store, manifest)
    return SparkJobFailed(message)


def _reason_counts(spark: SparkSession, store: ObjectStore, staged: StagedParquet) -> dict[str, int]:
    if not staged.rows:
        return {}
    written = spark.read.parquet(*(store.uri(part) for part in staged.parts))
    return {
        str(row["reason_code"]): int(row["count"])
        for row in written.groupBy("reason_code").count().orderBy("reason_code").collect()
    }


def _checked_copy(store: ObjectStore, checked: CheckedFile) -> StagedFiles:
    """The checked records written once, as read (no shuffle); the delivered text is kept for the
    rejected rows only (the landed ones carry it in their typed columns)."""
    rejected_only = F.when(F.col("reason").isNotNull(), F.col(checked.raw_column))
    return write_scratch_copy(checked.checked.withColumn(checked.raw_column, rejected_only), store)


def _write_outputs(
    spark: SparkSession, store: ObjectStore, target: LandingTarget, parsed: ParsedFile | CheckedFile,
    staged: list[StagedFiles],
) -> tuple[StagedParquet, StagedParquet]:  # fmt: skip
    """Bronze and rejected rows written aside (each appended to ``staged`` as soon as it exists)."""
    order_by = None if parsed.in_order else target.line_column
    copy = None
    if isinstance(parsed, CheckedFile):
        copy = _checked_copy(store, parsed)
        staged.append(copy)
        rows = spark.read.parquet(*(store.uri(part) for part in copy.parts))
        bronze_frame, rejected_frame = parsed.landed(rows), parsed.rejected(rows)
        # At most one bronze part per part of the copy, i.e. per read split (Spark may pack small
        # parts together when reading the copy back): written in parallel, and of Athena-friendly
        # size (a split is at least the file's share per core, at most SPLIT_BYTES).
        files = len(copy.parts)
    else:
        bronze_frame, rejected_frame, files = parsed.bronze, parsed.quarantined, parsed.files
    bronze = write_parquet_aside(spark, bronze_frame, store, files=files, order_by=order_by)
    staged.append(bronze)
    rejected = write_parquet_aside(
        spark, rejected_frame, store, files=1, order_by=target.line_column, gather=True
    )
    staged.append(rejected)
    if copy is not None:
        discard(store, copy)
    return bronze, rejected


def land_file(
    spark: SparkSession,
    store: ObjectStore,
    target: LandingTarget,
    read: Callable[[], ParsedFile | CheckedFile],
) -> FileManifest:
    """Lands ``target`` with ``read`` and writes its manifest (landed, quarantined or failed)."""
    try:
        parsed = read()
    except UnreadableFile as exc:
        return quarantine_whole_file(store, target, str(exc), exc.rows)
    except SPARK_ERRORS as exc:
        raise _failed(store, target, failure_reason(target.key, exc)) from exc
    staged: list[StagedFiles] = []
    try:
        bronze, rejected = _write_outputs(spark, store, target, parsed, staged)
        by_reason = _reason_counts(spark, store, rejected)
    except SPARK_ERRORS as exc:
        for output in staged:
            discard(store, output)
        raise _failed(store, target, failure_reason(target.key, exc), rows_read=parsed.rows_read) from exc
    if parsed.rows_read != bronze.rows + rejected.rows:
        for output in staged:
            discard(store, output)
        message = (
            f"{target.key}: rows read {parsed.rows_read} != landed {bronze.rows} + quarantined"
            f" {rejected.rows}; nothing published"
        )
        failure = _failed(
            store, target, message,
            rows_read=parsed.rows_read, landed=bronze.rows, quarantined=rejected.rows,
        )  # fmt: skip
        raise failure from ReconciliationError(message)
    outputs = publish_parquet(store, bronze, target.bronze_stem)
    rejected_key = quarantined_rows_key(target.source, target.day, target.file_id)
    if rejected.rows:
        rejected_stem = rejected_key.removesuffix(".parquet")
        outputs += publish_parquet(store, rejected, rejected_stem)
    else:
        discard(store, rejected)
        store.delete(rejected_key)
    manifest = FileManifest(
        source=target.source, day=target.day, file_id=target.file_id, key=target.key, etag=target.etag,
        status="landed", rows_read=parsed.rows_read, rows_landed=bronze.rows, rows_quarantined=rejected.rows,
        quarantined_by_reason=by_reason, outputs=outputs, notes=parsed.notes,
    )  # fmt: skip
    write_manifest(store, manifest)
    return manifest
