"""Positional file -> bronze Parquet, streaming, with every rejected line quarantined with its reason.

Per file: ``landing/positional/<D>/<name>`` becomes
``bronze/positional/<layout>/ingestion_date=<D>/<file_id>.parquet`` (the layout's typed columns plus
``_source_file`` and ``_source_line``), the rejected lines ``quarantine/positional/<D>/rows/<file_id>.parquet``
(line, raw, reason, field, value) and a manifest proving rows read = rows landed + rows quarantined.

Rows read are the detail records: every line except a recognised header/trailer and the blank lines
at the end of the file. A header/trailer that is missing, malformed or whose record count disagrees
rejects the whole file (it is copied to quarantine and nothing lands), because a truncated or
mislabelled delivery must not pass for a complete one.

Output is written aside and published when complete; row groups have a fixed number of rows, so the
same input gives the same bytes whatever the read block size.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion import lake
from ingestion.manifest import FileManifest, write_manifest
from ingestion.positional.layout import (
    PARTITION_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_LINE_COLUMN,
    ControlRecord,
    Layout,
    UnknownLayoutError,
    layout_for_filename,
)
from ingestion.positional.objects import StagedFile, open_object
from ingestion.positional.parse import BLANK_LINE, QUARANTINE_SCHEMA, parse_records, quarantine_rows
from ingestion.positional.reader import DEFAULT_BLOCK_BYTES, LineBatch, LineReader
from ingestion.quarantine import quarantine_file, quarantined_rows_key
from ingestion.storage import ObjectStore

SOURCE = "positional"
ROW_GROUP_ROWS = 1 << 18
COMPRESSION = "zstd"
FILE_REJECTED = "file rejected"


class LandingKeyError(ValueError):
    pass


def landing_key(day: str, file_name: str) -> str:
    return f"{lake.landing_prefix(SOURCE, day)}/{file_name}"


def parse_landing_key(key: str) -> lake.LandedFile:
    """``landing/positional/<YYYY-MM-DD>/<file name>`` split into its parts."""
    parts = key.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != lake.landing_prefix(SOURCE) or not parts[3]:
        raise LandingKeyError(f"{key!r} is not a positional landing key {lake.landing_prefix(SOURCE)}/<YYYY-MM-DD>/<file>")
    try:
        dt.date.fromisoformat(parts[2])
    except ValueError:
        raise LandingKeyError(f"{key!r}: {parts[2]!r} is not a YYYY-MM-DD day") from None
    return lake.LandedFile(key=key, day=parts[2], name=parts[3])


def bronze_table_prefix(layout_name: str) -> str:
    return f"{lake.BRONZE}/{SOURCE}/{layout_name}"


def bronze_key(layout_name: str, day: str, file_id: str) -> str:
    return f"{bronze_table_prefix(layout_name)}/{PARTITION_COLUMN}={day}/{file_id}.parquet"


class _ParquetSink:
    """Writes tables in row groups of exactly ``ROW_GROUP_ROWS`` rows (the last one shorter)."""

    def __init__(self, path: Path, schema: pa.Schema, create_empty: bool) -> None:
        self._path = path
        self._schema = schema
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._writer: pq.ParquetWriter | None = self._open() if create_empty else None
        self.rows = 0

    def _open(self) -> pq.ParquetWriter:
        return pq.ParquetWriter(self._path, self._schema, compression=COMPRESSION, write_statistics=True)

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self._buffer.append(table)
        self._buffered += table.num_rows
        while self._buffered >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def _flush(self, rows: int) -> None:
        pending = pa.concat_tables(self._buffer)
        self._writer = self._writer or self._open()
        # One contiguous chunk per row group: page boundaries then depend on the data only.
        self._writer.write_table(pending.slice(0, rows).combine_chunks(), row_group_size=rows)
        rest = pending.slice(rows)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows
        self.rows += rows

    def close(self) -> None:
        if self._buffered:
            self._flush(self._buffered)
        if self._writer is not None:
            self._writer.close()


@dataclass
class StreamResult:
    rows_read: int = 0
    rows_landed: int = 0
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)
    file_problem: str | None = None
    encoding: str = "ascii"
    trailing_blank_lines: int = 0
    header: dict[str, object] = field(default_factory=dict)
    trailer: dict[str, object] = field(default_factory=dict)

    @property
    def rows_quarantined(self) -> int:
        return sum(self.quarantined_by_reason.values())


@dataclass
class _Line:
    number: int
    text: str
    rejected: str | None


class _Conversion:
    """The per-file state while batches stream through: header, blank-line run and trailer candidate."""

    def __init__(self, layout: Layout, source_file: str, bronze: _ParquetSink, quarantine: _ParquetSink) -> None:
        self.layout = layout
        self.source_file = source_file
        self.bronze = bronze
        self.quarantine = quarantine
        self.result = StreamResult()
        self.lines_seen = 0
        # The last non-blank line, held back until we know whether it is the file's trailer.
        self.candidate: _Line | None = None
        # Blank lines not yet followed by content: ignored if they end the file, rejected otherwise.
        self.blanks: list[_Line] = []
        self.misplaced = [
            (record.match, f"misplaced {kind} record")
            for kind, record in (("header", layout.header), ("trailer", layout.trailer))
            if record is not None
        ]

    def feed(self, batch: LineBatch) -> None:
        lines, rejected = batch.lines, batch.rejected
        start = 0
        if batch.first_line == 1 and self.layout.header is not None:
            start = self._header(_Line(1, lines[0].as_py(), rejected.get(0)))
        self.lines_seen += len(lines)
        end = _content_end(lines, rejected, start)
        if end == start:
            self.blanks.extend(_Line(batch.first_line + i, lines[i].as_py(), None) for i in range(start, len(lines)))
            return
        self._settle_held_lines()
        detail_end = end - 1 if self.layout.trailer is not None else end
        self._details(lines.slice(start, detail_end - start), batch.first_line + start, _shift(rejected, start, detail_end))
        if self.layout.trailer is not None:
            last = end - 1
            self.candidate = _Line(batch.first_line + last, lines[last].as_py(), rejected.get(last))
        self.blanks = [_Line(batch.first_line + i, lines[i].as_py(), None) for i in range(end, len(lines))]

    def finish(self) -> StreamResult:
        if self.layout.header is not None and self.lines_seen == 0:
            self._problem("empty file: no header record")
        trailer = self.layout.trailer
        if trailer is not None:
            candidate, self.candidate = self.candidate, None
            if candidate is None:
                self._problem("no trailer record at the end of the file")
            elif candidate.rejected is None and candidate.text.startswith(trailer.match):
                self._trailer(trailer, candidate)
            else:
                self._single_detail(candidate)
                self._problem(f"the last record (line {candidate.number}) is not a trailer record ({trailer.match!r})")
        self.result.trailing_blank_lines = len(self.blanks)
        return self.result

    def _problem(self, message: str) -> None:
        self.result.file_problem = self.result.file_problem or message

    def _header(self, line: _Line) -> int:
        """Number of lines the header takes at the start of the file (0 when it is missing)."""
        header = self.layout.header
        assert header is not None
        if line.rejected is not None or not line.text.startswith(header.match):
            self._problem(f"line 1 is not a header record ({header.match!r})")
            return 0
        values, problem = _parse_control(self.layout, "header", header, line)
        self.result.header = values
        if problem:
            self._problem(problem)
        return 1

    def _trailer(self, trailer: ControlRecord, line: _Line) -> None:
        values, problem = _parse_control(self.layout, "trailer", trailer, line)
        self.result.trailer = values
        if problem:
            self._problem(problem)
        elif trailer.count_field is not None and values.get(trailer.count_field) != self.result.rows_read:
            self._problem(
                f"trailer {trailer.count_field} says {values.get(trailer.count_field)} records,"
                f" the file has {self.result.rows_read}"
            )

    def _settle_held_lines(self) -> None:
        """Content follows: the held-back line is a detail record and the blank lines are in the body."""
        if self.candidate is not None:
            self._single_detail(self.candidate)
            self.candidate = None
        if self.blanks:
            numbers = np.array([line.number for line in self.blanks], dtype=np.int64)
            self._reject(quarantine_rows(numbers, [line.text for line in self.blanks], [BLANK_LINE] * len(self.blanks)))
            self.result.rows_read += len(self.blanks)
            self.blanks = []

    def _single_detail(self, line: _Line) -> None:
        rejected = {0: line.rejected} if line.rejected else {}
        self._details(pa.array([line.text], pa.string()), line.number, rejected)

    def _details(self, lines: pa.StringArray, first_line: int, rejected: Mapping[int, str]) -> None:
        if not len(lines):
            return
        numbers = pa.array(np.arange(first_line, first_line + len(lines), dtype=np.int64))
        parsed = parse_records(self.layout, lines, numbers, SOURCE_LINE_COLUMN, rejected, self.misplaced)
        self.result.rows_read += len(lines)
        self.result.rows_landed += parsed.good.num_rows
        good = parsed.good
        self.bronze.add(
            good.add_column(
                good.num_columns - 1, SOURCE_FILE_COLUMN, pa.repeat(pa.scalar(self.source_file), good.num_rows)
            )
        )
        if parsed.bad.num_rows:
            self._reject(parsed.bad)

    def _reject(self, rows: pa.Table) -> None:
        for item in pc.value_counts(rows["reason"]).to_pylist():
            self.result.quarantined_by_reason[item["values"]] += item["counts"]
        self.quarantine.add(rows)


def _content_end(lines: pa.StringArray, rejected: Mapping[int, str], start: int) -> int:
    """Index just after the last line of the batch that is not blank (``start`` if all are)."""
    last = len(lines) - 1
    if last < start or (last in rejected or lines[last].as_py().strip()):
        return max(last + 1, start)
    blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(lines.slice(start))), 0).to_numpy(zero_copy_only=False)
    for position in rejected:
        if position >= start:
            blank[position - start] = False
    content = np.flatnonzero(~blank)
    return start + int(content[-1]) + 1 if len(content) else start


def _shift(rejected: Mapping[int, str], start: int, end: int) -> dict[int, str]:
    return {position - start: reason for position, reason in rejected.items() if start <= position < end}


def _parse_control(layout: Layout, kind: str, record: ControlRecord, line: _Line) -> tuple[dict[str, object], str | None]:
    """The typed values of a header/trailer line, and what is wrong with it, if anything."""
    spec = Layout(
        name=f"{layout.name} {kind}",
        file_pattern=layout.file_pattern,
        record_length=layout.record_length,
        fields=record.fields,
    )
    parsed = parse_records(spec, pa.array([line.text], pa.string()), pa.array([line.number], pa.int64()), "_line")
    if parsed.bad.num_rows:
        return {}, f"{kind} record (line {line.number}): {parsed.bad['reason'][0].as_py()}"
    row = parsed.good.to_pylist()[0]
    row.pop("_line")
    return row, None


def convert_stream(
    layout: Layout,
    stream: BinaryIO,
    source_file: str,
    bronze_path: Path,
    quarantine_path: Path,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> StreamResult:
    """Converts one open file; ``quarantine_path`` is only created when some line is rejected."""
    reader = LineReader(stream, encoding=layout.encoding, block_bytes=block_bytes)
    bronze = _ParquetSink(bronze_path, layout.arrow_schema(), create_empty=True)
    quarantine = _ParquetSink(quarantine_path, QUARANTINE_SCHEMA, create_empty=False)
    conversion = _Conversion(layout, source_file, bronze, quarantine)
    try:
        for batch in reader:
            conversion.feed(batch)
        result = conversion.finish()
    finally:
        bronze.close()
        quarantine.close()
    result.encoding = reader.encoding
    return result


def convert_file(
    store: ObjectStore,
    key: str,
    layouts: Mapping[str, Layout] | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> FileManifest:
    """Converts the landed object ``key`` and writes its manifest; a rerun gives the same outputs."""
    landed = parse_landing_key(key)
    manifest = FileManifest(
        source=SOURCE, day=landed.day, file_id=landed.file_id, key=key, etag=store.head(key).etag, status="landed"
    )
    try:
        layout = layout_for_filename(landed.name, layouts)
    except UnknownLayoutError as exc:
        manifest.status, manifest.reason = "quarantined", str(exc)
        manifest.outputs = [quarantine_file(store, SOURCE, landed.day, landed.file_id, key, str(exc))]
        write_manifest(store, manifest)
        return manifest
    target_key = bronze_key(layout.name, landed.day, landed.file_id)
    rows_key = quarantined_rows_key(SOURCE, landed.day, landed.file_id)
    bronze, rows = StagedFile(store, target_key), StagedFile(store, rows_key)
    try:
        with open_object(store, key) as stream:
            result = convert_stream(layout, stream, key, bronze.path, rows.path, block_bytes)
    except Exception as exc:
        bronze.discard()
        rows.discard()
        manifest.status, manifest.reason = "failed", f"{type(exc).__name__}: {exc}"
        write_manifest(store, manifest)
        raise
    manifest.rows_read = result.rows_read
    manifest.quarantined_by_reason = dict(sorted(result.quarantined_by_reason.items()))
    if rows.path.exists():
        rows.publish()
        manifest.outputs.append(rows_key)
    else:
        store.delete(rows_key)  # a stale one from an earlier delivery of this file
    if result.file_problem is None:
        bronze.publish()
        manifest.rows_landed = result.rows_landed
        manifest.outputs.insert(0, target_key)
    else:
        bronze.discard()
        store.delete(target_key)
        manifest.status, manifest.reason = "quarantined", result.file_problem
        if result.rows_landed:
            manifest.quarantined_by_reason[f"{FILE_REJECTED}: {result.file_problem}"] = result.rows_landed
        manifest.outputs.append(quarantine_file(store, SOURCE, landed.day, landed.file_id, key, result.file_problem))
    manifest.rows_quarantined = sum(manifest.quarantined_by_reason.values())
    write_manifest(store, manifest)
    return manifest
