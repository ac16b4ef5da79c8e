"""Reads a delimited or line-based text file with Spark as numbered records, streaming, split across tasks.

Spark's text source reads the file in splits (one task each) without ever holding it whole; each
physical line is a row. Line numbers are exact without a sort or a shuffle: a first, cheap pass
counts the lines of every split (``_metadata.file_block_start``) and the smallest
``monotonically_increasing_id`` in it; the running totals of those counts, taken in file order, give
every split's first line number, and a row's number is that plus its position in the split.

A record is one line, unless a quoted field (RFC 4180) holds a line break. That pass also counts the
lines with an odd number of quote characters; when there are none (the usual case), every non-blank
line is a record. Otherwise those lines pair up in file order: the first of each pair opens a
multi-line record, the second closes it. Only the lines between such pairs are regrouped (a shuffle
of those lines only, broadcast when they are few); each record keeps the number of its first line.

A charset other than UTF-8 is decoded from the line's bytes (the text source keeps them as read), so
cp1252 spreadsheets keep their accents.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

# Input bytes per task; each task writes one Parquet part (see ``spark_output``).
SPLIT_BYTES = 256 * 1024 * 1024
LINE = "source_line"
RECORD = "raw_record"
QUOTE = '"'
# Multi-line records whose lines number fewer than this are joined back by broadcast (no shuffle).
_BROADCAST_SPAN_LINES = 2_000_000
_UTF8_NAMES = frozenset({"utf8", "utf-8"})


@dataclass(frozen=True)
class TextRecords:
    """``records``: ``source_line`` (first physical line, from 1) and ``raw_record`` (without its line break).

    ``rows_read`` is the number of records the file holds, counted while reading, before any parse:
    the reconciliation compares it with what the parse lands and quarantines.
    """

    records: DataFrame
    rows_read: int
    multi_line_records: bool
    splits: int  # Spark partitions the file was read in


def _decoded(value: Column, encoding: str) -> Column:
    if encoding.lower() in _UTF8_NAMES:
        return value
    return F.decode(value.cast("binary"), encoding)


def _quote_count(text: Column) -> Column:
    return F.length(text) - F.length(F.translate(text, QUOTE, ""))


def _is_blank(text: Column) -> Column:
    # Spark's trim removes spaces only: a blank line is empty or starts with one (checked first, as
    # trimming every line would copy it).
    return F.when((F.octet_length(text) == 0) | text.startswith(" "), F.trim(text) == "").otherwise(
        F.lit(False)
    )


def _is_odd(text: Column, quoted: bool) -> Column:
    """An odd number of quote characters: the line opens or closes a quoted field that spans lines."""
    if not quoted:
        return F.lit(False)
    return F.when(F.instr(text, QUOTE) == 0, F.lit(False)).otherwise(_quote_count(text) % 2 == 1)


def read_text_records(
    spark: SparkSession, uri: str, encoding: str, *, quoted: bool, skip_header: bool
) -> TextRecords:
    """Numbered records of the file at ``uri``; ``quoted``: RFC 4180 double-quoted fields may span lines."""
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(SPLIT_BYTES))
    lines = spark.read.text(uri).select(
        _decoded(F.col("value"), encoding).alias("text"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_position"),
    )
    lines = lines.select(
        "*", _is_blank(F.col("text")).alias("_blank"), _is_odd(F.col("text"), quoted).alias("_odd")
    )
    # One small row per split; ordered here rather than by Spark (a global sort is one more job).
    blocks = sorted(
        lines.groupBy("_block")
        .agg(
            F.count(F.lit(1)).alias("lines"),
            F.min("_position").alias("first_position"),
            F.sum(F.col("_blank").cast("long")).alias("blank"),
            F.sum(F.col("_odd").cast("long")).alias("odd"),
        )
        .collect(),
        key=lambda block: int(block["_block"]),
    )
    offsets: list[Column] = []
    total_lines = total_blank = total_odd = 0
    for block in blocks:
        # A row's line number = its position - the split's first position + the lines before the split + 1.
        offsets += [F.lit(block["_block"]), F.lit(total_lines - int(block["first_position"]) + 1)]
        total_lines += int(block["lines"])
        total_blank += int(block["blank"])
        total_odd += int(block["odd"])
    if not blocks:
        empty = lines.select(F.lit(0).cast("long").alias(LINE), F.col("text").alias(RECORD)).limit(0)
        return TextRecords(empty, 0, False, 1)
    line_number = (F.col("_position") + F.element_at(F.create_map(*offsets), F.col("_block"))).alias(LINE)
    numbered = lines.select(line_number, "text", "_blank", "_odd").withColumn(
        "text", F.when(F.col(LINE) == 1, F.regexp_replace("text", "^\ufeff", "")).otherwise(F.col("text"))
    )
    first_record = 2 if skip_header else 1
    if total_odd == 0:
        records = numbered.where(~F.col("_blank") & (F.col(LINE) >= first_record)).select(
            LINE, F.col("text").alias(RECORD)
        )
        header_lines = 1 if skip_header and total_lines else 0
        return TextRecords(records, total_lines - total_blank - header_lines, False, len(blocks))
    records = _with_multi_line_records(numbered, total_lines).where(F.col(LINE) >= first_record)
    return TextRecords(records, records.count(), True, len(blocks))


def _with_multi_line_records(numbered: DataFrame, total_lines: int) -> DataFrame:
    odd_lines = numbered.where(F.col("_odd")).select(LINE)
    in_order = Window.orderBy(LINE)  # over the odd lines only: a few per multi-line record
    spans = (
        odd_lines.select(
            LINE, F.row_number().over(in_order).alias("_rank"), F.lead(LINE).over(in_order).alias("_next")
        )
        .where(F.col("_rank") % 2 == 1)
        # An opening quote never closed runs to the end of the file: one (malformed) record.
        .select(
            F.col(LINE).alias("_record_line"), F.coalesce("_next", F.lit(total_lines)).alias("_last_line")
        )
    )
    span_lines = spans.select("_record_line", F.explode(F.sequence("_record_line", "_last_line")).alias(LINE))
    member_count = spans.agg(F.sum(F.col("_last_line") - F.col("_record_line") + 1)).first()
    members = int(member_count[0] or 0) if member_count is not None else 0
    lookup = F.broadcast(span_lines) if members < _BROADCAST_SPAN_LINES else span_lines
    joined = numbered.join(lookup, LINE, "left")
    single = joined.where(F.col("_record_line").isNull() & ~F.col("_blank")).select(
        LINE, F.col("text").alias(RECORD)
    )
    multi = (
        joined.where(F.col("_record_line").isNotNull())
        .groupBy("_record_line")
        .agg(F.sort_array(F.collect_list(F.struct(LINE, "text"))).alias("_parts"))
        .select(
            F.col("_record_line").alias(LINE),
            F.array_join(F.transform("_parts", lambda part: part["text"]), "\n").alias(RECORD),
        )
    )
    return single.unionByName(multi)
