"""Positional file -> bronze Parquet, streaming, with every rejected line quarantined with its reason.

Per file: ``landing/positional/<D>/<name>`` becomes
``bronze/positional/<layout>/ingestion_date=<D>/<file_id>.parquet`` (the layout's typed columns plus
``_source_file`` and ``_source_line``), the rejected lines ``quarantine/positional/<D>/rows/<file_id>.parquet``
(line, raw, reason, field, value) and a manifest proving rows read = rows landed + rows quarantined.

Rows read are the detail records: every line except a recognised header/trailer and the blank lines
at the end of the file. A header/trailer that is missing, malformed or whose record count disagrees
rejects the whole file (it is copied to quarantine and nothing lands), because a truncated or
mislabelled delivery must not pass for a complete one.

Output is written aside and published when complete; the same input gives the same bytes (row groups
have a fixed number of rows; dictionaries follow the order values appear in).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core import layout as lake
from core.storage import ObjectStore
from ingestion.manifest import FileManifest, write_manifest
from ingestion.positional.layout import (
    PARTITION_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_LINE_COLUMN,
    ControlRecord,
    FieldType,
    Layout,
    UnknownLayoutError,
    layout_for_filename,
)
from ingestion.positional.objects import StagedFile
from ingestion.positional.parse import (
    BLANK_LINE,
    QUARANTINE_SCHEMA,
    parse_records,
    quarantine_rows,
)
from ingestion.positional.reader import DEFAULT_BLOCK_BYTES, LineBatch, LineReader
from ingestion.quarantine import quarantine_file, quarantined_rows_key

SOURCE = "positional"
ROW_GROUP_ROWS = 1 << 18
PARSE_WORKERS = 2
PARSE_AHEAD = 2
# Snappy: Parquet's default and Glue's; zstd packs bronze ~3x smaller but costs a fifth of the conversion time.
COMPRESSION = "snappy"
FILE_REJECTED = "file rejected"


class LandingKeyError(ValueError):
    pass


def landing_key(day: str, file_name: str) -> str:
    return f"{lake.landing_prefix(SOURCE, day)}/{file_name}"


def parse_landing_key(key: str) -> lake.LandedFile:
    """``landing/positional/<YYYY-MM-DD>/<file name>`` split into its parts."""
    parts = key.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != lake.landing_prefix(SOURCE) or not parts[3]:
        raise LandingKeyError(
            f"{key!r} is not a positional landing key {lake.landing_prefix(SOURCE)}/<YYYY-MM-DD>/<file>"
        )
    try:
        dt.date.fromisoformat(parts[2])
    except ValueError:
        raise LandingKeyError(f"{key!r}: {parts[2]!r} is not a YYYY-MM-DD day") from None
    return lake.LandedFile(key=key, day=parts[2], name=parts[3])


def bronze_table_prefix(layout_name: str) -> str:
    return f"{lake.BRONZE}/{SOURCE}/{layout_name}"


def bronze_key(layout_name: str, day: str, file_id: str) -> str:
    return f"{bronze_table_prefix(layout_name)}/{PARTITION_COLUMN}={day}/{file_id}.parquet"


def dictionary_columns(layout: Layout) -> list[str]:
    """Columns worth a Parquet dictionary: repetitive ones, not keys, amounts or long free text."""
    return [
        item.name
        for item in layout.fields
        if item.name not in layout.key
        and item.type is not FieldType.DECIMAL
        and not (item.type is FieldType.STRING and item.length > 30)
    ]


def dictionary_text_columns(layout: Layout) -> list[str]:
    """The dictionary columns that are text: the converter hands them to Parquet already encoded."""
    names = set(dictionary_columns(layout))
    return [item.name for item in layout.fields if item.name in names and item.type is FieldType.STRING]


class _ParquetSink:
    """Writes row groups of exactly ``ROW_GROUP_ROWS`` rows (the last one shorter) on a writer thread.

    Encoding and compression run while the next batch is parsed (Arrow releases the GIL); at most one
    row group waits for the writer, so memory stays bounded. ``dictionary`` columns are
    dictionary-encoded in Parquet; the ``encoded`` ones among them arrive as Arrow dictionary arrays.
    ``constants`` are columns with one value for the whole file, added by the writer thread.
    """

    def __init__(
        self,
        path: Path,
        schema: pa.Schema,
        create_empty: bool,
        dictionary: Sequence[str] = (),
        encoded: Sequence[str] = (),
        constants: Mapping[str, str] | None = None,
    ) -> None:
        self._path = path
        self._schema = schema
        self._constants = {name: pa.array([value], pa.string()) for name, value in (constants or {}).items()}
        self._encoded = set(encoded)
        self._dictionary = [*dictionary, *self._constants]
        # Dictionary arrays are written as they are, never hashed again row by row (a constant is a
        # one-entry dictionary). The file then carries no Arrow schema: readers see plain strings.
        self._write_schema = pa.schema(
            [
                column.with_type(pa.dictionary(pa.int32(), pa.string()))
                if column.name in self._constants or column.name in self._encoded
                else column
                for column in schema
            ]
        )
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer")
        self._pending: Future[None] | None = None
        self._writer: pq.ParquetWriter | None = self._open() if create_empty else None

    def _open(self) -> pq.ParquetWriter:
        encodings = {
            name: "DELTA_BINARY_PACKED" for name in (SOURCE_LINE_COLUMN, "line") if name in self._schema.names
        }
        return pq.ParquetWriter(
            self._path,
            self._write_schema,
            compression=COMPRESSION,
            use_dictionary=self._dictionary,
            column_encoding=encodings,
            # Min/max of numbers and dates let engines skip row groups; on strings they cost a third
            # of the write time and bronze is never filtered by a text range.
            write_statistics=[column.name for column in self._schema if not pa.types.is_string(column.type)],
            store_schema=False,
        )

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self._buffer.append(table)
        self._buffered += table.num_rows
        while self._buffered >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def _flush(self, rows: int) -> None:
        pending = pa.concat_tables(self._buffer)
        rest = pending.slice(rows)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows
        self._wait()
        self._pending = self._executor.submit(self._write, pending.slice(0, rows))

    def _write(self, group: pa.Table) -> None:
        # One chunk per column: the batches' dictionaries are unified, so Parquet keeps one dictionary
        # per column chunk instead of falling back to plain values when the dictionary changes.
        group = group.combine_chunks()
        columns = {name: group.column(name) for name in group.column_names}
        indices = pa.array(np.zeros(group.num_rows, dtype=np.int32))
        columns.update(
            {name: pa.DictionaryArray.from_arrays(indices, value) for name, value in self._constants.items()}
        )
        self._writer = self._writer or self._open()
        table = pa.Table.from_arrays(
            [columns[name] for name in self._schema.names], schema=self._write_schema
        )
        self._writer.write_table(table, row_group_size=group.num_rows)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        if self._buffered:
            self._flush(self._buffered)
        self._wait()
        self.abort()

    def abort(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.exception()  # let it finish before closing; the caller is already handling an error
        self._executor.shutdown(wait=True)
        if self._writer is not None:
            self._writer.close()
            self._writer = None


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


class _BlankRun:
    """Consecutive blank lines not yet followed by content; only the first texts are kept."""

    KEPT_TEXTS = 10_000

    def __init__(self) -> None:
        self.first = 0
        self.count = 0
        self.texts: list[str] = []

    def add(self, number: int, text: str) -> None:
        if not self.count:
            self.first = number
        self.count += 1
        if len(self.texts) < self.KEPT_TEXTS:
            self.texts.append(text)

    def quarantine_tables(self, chunk: int = ROW_GROUP_ROWS) -> Iterator[pa.Table]:
        """Blank lines inside the body are rejected; beyond the kept ones their text is recorded as ''."""
        for offset in range(0, self.count, chunk):
            size = min(chunk, self.count - offset)
            texts = self.texts[offset : offset + size]
            texts += [""] * (size - len(texts))
            yield quarantine_rows(range(self.first + offset, self.first + offset + size), texts, BLANK_LINE)


@dataclass(frozen=True)
class _Outcome:
    rows_read: int
    good: pa.Table | None
    bad: pa.Table | None


def _done(outcome: _Outcome) -> Future[_Outcome]:
    future: Future[_Outcome] = Future()
    future.set_result(outcome)
    return future


class _Conversion:
    """The per-file state while batches stream through: header, blank-line run and trailer candidate.

    Batches are parsed on ``parser`` threads (numpy and Arrow release the GIL) while the next one is
    read; their outcomes are applied in file order, at most ``PARSE_AHEAD`` waiting, so memory stays
    bounded and the output is the same as a sequential run.
    """

    def __init__(
        self, layout: Layout, bronze: _ParquetSink, quarantine: _ParquetSink, parser: ThreadPoolExecutor
    ) -> None:
        self.layout = layout
        self.bronze = bronze
        self.quarantine = quarantine
        self.parser = parser
        self.queue: deque[Future[_Outcome]] = deque()
        self.result = StreamResult()
        self.encoded = frozenset(dictionary_text_columns(layout))
        self.lines_seen = 0
        # The last non-blank line, held back until we know whether it is the file's trailer.
        self.candidate: _Line | None = None
        self.blanks = _BlankRun()
        self.misplaced = [
            (record.match, f"misplaced {kind} record")
            for kind, record in (("header", layout.header), ("trailer", layout.trailer))
            if record is not None
        ]

    def feed(self, batch: LineBatch) -> None:
        start = 0
        if batch.first_line == 1 and self.layout.header is not None:
            start = self._header(_Line(1, batch.text(0), batch.rejected.get(0)))
        self.lines_seen += len(batch)
        end = _content_end(batch, start)
        if end > start:
            self._settle_held_lines()
            detail_end = end - 1 if self.layout.trailer is not None else end
            self._details(batch, np.arange(start, detail_end))
            if self.layout.trailer is not None:
                last = end - 1
                self.candidate = _Line(batch.first_line + last, batch.text(last), batch.rejected.get(last))
        for index in range(max(start, end), len(batch)):
            self.blanks.add(batch.first_line + index, batch.text(index))

    def finish(self) -> StreamResult:
        self._drain()  # the trailer is checked against every record counted
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
                self._problem(
                    f"the last record (line {candidate.number}) is not a trailer record ({trailer.match!r})"
                )
        self._drain()
        self.result.trailing_blank_lines = self.blanks.count
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
        if self.blanks.count:
            for table in self.blanks.quarantine_tables():
                self._enqueue(_done(_Outcome(table.num_rows, None, table)))
            self.blanks = _BlankRun()

    def _single_detail(self, line: _Line) -> None:
        rejected = {0: line.rejected} if line.rejected else {}
        self._details(LineBatch.from_texts([line.text], line.number, rejected), np.arange(1))

    def _details(self, batch: LineBatch, rows: np.ndarray) -> None:
        if len(rows):
            self._enqueue(self.parser.submit(self._parse, batch, rows))

    def _parse(self, batch: LineBatch, rows: np.ndarray) -> _Outcome:
        parsed = parse_records(self.layout, batch, rows, SOURCE_LINE_COLUMN, self.misplaced, self.encoded)
        return _Outcome(len(rows), parsed.good, parsed.bad)

    def _enqueue(self, outcome: Future[_Outcome]) -> None:
        self.queue.append(outcome)
        while len(self.queue) > PARSE_AHEAD or (self.queue and self.queue[0].done()):
            self._apply(self.queue.popleft().result())

    def _drain(self) -> None:
        while self.queue:
            self._apply(self.queue.popleft().result())

    def _apply(self, outcome: _Outcome) -> None:
        self.result.rows_read += outcome.rows_read
        if outcome.good is not None:
            self.result.rows_landed += outcome.good.num_rows
            self.bronze.add(outcome.good)
        if outcome.bad is not None and outcome.bad.num_rows:
            for item in pc.value_counts(outcome.bad["reason"]).to_pylist():
                self.result.quarantined_by_reason[item["values"]] += item["counts"]
            self.quarantine.add(outcome.bad)


def _content_end(batch: LineBatch, start: int) -> int:
    """Index just after the last line of the batch that is not blank (``start`` if all are)."""
    for index in range(len(batch) - 1, start - 1, -1):
        if index in batch.rejected or batch.text(index).strip():
            return index + 1
    return start


def _parse_control(
    layout: Layout, kind: str, record: ControlRecord, line: _Line
) -> tuple[dict[str, object], str | None]:
    """The typed values of a header/trailer line, and what is wrong with it, if anything."""
    spec = Layout(
        name=f"{layout.name} {kind}",
        file_pattern=layout.file_pattern,
        record_length=layout.record_length,
        fields=record.fields,
    )
    parsed = parse_records(spec, LineBatch.from_texts([line.text], line.number), np.arange(1), "_line")
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
    bronze = _ParquetSink(
        bronze_path,
        layout.arrow_schema(),
        create_empty=True,
        dictionary=dictionary_columns(layout),
        encoded=dictionary_text_columns(layout),
        constants={SOURCE_FILE_COLUMN: source_file},
    )
    quarantine = _ParquetSink(
        quarantine_path, QUARANTINE_SCHEMA, create_empty=False, dictionary=["reason", "field"]
    )
    with ThreadPoolExecutor(max_workers=PARSE_WORKERS, thread_name_prefix="positional-parse") as parser:
        conversion = _Conversion(layout, bronze, quarantine, parser)
        try:
            for batch in reader:
                conversion.feed(batch)
            result = conversion.finish()
            bronze.close()
            quarantine.close()
        except BaseException:
            bronze.abort()
            quarantine.abort()
            raise
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
        source=SOURCE,
        day=landed.day,
        file_id=landed.file_id,
        key=key,
        etag=store.head(key).etag,
        status="landed",
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
        with store.open_read(key) as stream:
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
        manifest.outputs.append(
            quarantine_file(store, SOURCE, landed.day, landed.file_id, key, result.file_problem)
        )
    manifest.rows_quarantined = sum(manifest.quarantined_by_reason.values())
    write_manifest(store, manifest)
    return manifest
