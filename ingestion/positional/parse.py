"""Vectorised slicing and typing of fixed-width records; every line either parses or gets a reason.

The records of a batch that have the right length form a (rows x record_length) matrix of code units
(a strided view of the file block, no copy). Each field is a column slice of it: numbers and dates are
computed from the digit columns with numpy, strings become Arrow arrays trimmed by Arrow kernels
(repetitive ones dictionary-encoded on their raw cells, so only distinct values are decoded).
Only the few lines that fail go through Python, to render their quarantine rows. The first failing
check of a line is its reason (decoding, blank line, misplaced header/trailer, length, then fields
in layout order).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.positional.layout import Field, FieldType, Layout
from ingestion.positional.reader import ASCII, CP1252, LineBatch

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("line", pa.int64(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("field", pa.string()),
        pa.field("value", pa.string()),
    ]
)
BLANK_LINE = "blank line"
_SPACE = 0x20
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DATE_PARTS = {"Y": 4, "m": 2, "d": 2}
_NULL_STRING = pa.scalar(None, pa.string())


@dataclass(frozen=True)
class ParsedBatch:
    good: pa.Table  # the layout's typed columns plus the line number column
    bad: pa.Table  # QUARANTINE_SCHEMA


@dataclass(frozen=True)
class _Check:
    failed: np.ndarray  # bool over the rows being parsed
    reason: str
    field: Field | None = None


def wrong_length_reason(layout: Layout) -> str:
    return f"wrong record length (expected {layout.record_length} characters)"


def required_reason(item: Field) -> str:
    return f"{item.name}: required value is blank"


def invalid_reason(item: Field) -> str:
    if item.type is FieldType.INT:
        return f"{item.name}: not an integer"
    if item.type is FieldType.DECIMAL:
        return f"{item.name}: not a number with {item.implied_decimals} implied decimals"
    return f"{item.name}: not a valid date in format {item.date_format}"


def quarantine_rows(lines: Sequence[int], raws: Sequence[str], reason: str) -> pa.Table:
    """Line-level rejections decided outside :func:`parse_records` (blank lines held at a batch end)."""
    count = len(raws)
    return pa.table(
        [
            pa.array(lines, pa.int64()),
            pa.array(raws, pa.string()),
            pa.array([reason] * count, pa.string()),
            pa.nulls(count, pa.string()),
            pa.nulls(count, pa.string()),
        ],
        schema=QUARANTINE_SCHEMA,
    )


def _record_matrix(batch: LineBatch, rows: np.ndarray, width: int) -> np.ndarray:
    """(rows x width) code units of the given lines; a zero-copy view when they are evenly spaced."""
    starts = batch.starts[rows]
    if len(starts) == 0:
        return np.empty((0, width), dtype=batch.units.dtype)
    stride = int(starts[1] - starts[0]) if len(starts) > 1 else width
    if stride >= width and (len(starts) < 3 or bool(np.all(np.diff(starts) == stride))):
        item = batch.units.itemsize
        base = batch.units[int(starts[0]) :]
        return np.lib.stride_tricks.as_strided(
            base, shape=(len(starts), width), strides=(stride * item, item), writeable=False
        )
    return batch.units[starts[:, None] + np.arange(width)]


# UTF-8 size of each cp1252 byte decoded (undefined bytes never get here: the reader rejects them).
_CP1252_UTF8_SIZE = np.array(
    [len(bytes([byte]).decode(CP1252, errors="replace").encode("utf-8")) for byte in range(256)],
    dtype=np.int64,
)


def _count_per_row(mask: np.ndarray) -> np.ndarray:
    """How many cells of each row are set (a product with ones beats ``sum(axis=1)`` on booleans)."""
    if mask.shape[1] < 256:
        return np.asarray(mask.view(np.uint8) @ np.ones(mask.shape[1], dtype=np.uint8), dtype=np.int64)
    return np.asarray(mask.sum(axis=1), dtype=np.int64)


def _utf8_sizes(column: np.ndarray, codec: str) -> np.ndarray:
    """UTF-8 byte length of each cell of a (rows x width) code-unit matrix."""
    width = column.shape[1]
    if codec == CP1252:
        # 0xA0-0xFF become 2 bytes; the 0x80-0x9F punctuation (€, “, —, ...) is rare and mostly 3 bytes.
        if ((column >= 0x80) & (column < 0xA0)).any():
            return np.asarray(_CP1252_UTF8_SIZE[column].sum(axis=1))
        return width + _count_per_row(column >= 0x80)
    sizes = width + _count_per_row(column >= 0x80)
    if column.max(initial=0) >= 0x800:
        sizes += _count_per_row(column >= 0x800) + _count_per_row(column >= 0x10000)
    return sizes


def _cells(column: np.ndarray) -> np.ndarray:
    """A contiguous copy of a (rows x width) slice of the record matrix.

    Each cell is copied as one opaque item of ``width`` units, which numpy does several times faster
    than a strided copy of ``width`` separate units per row.
    """
    rows, width = column.shape
    if column.strides[1] != column.itemsize or not rows:
        return np.ascontiguousarray(column)
    cell = np.dtype((np.void, width * column.itemsize))
    return column.view(cell).copy().view(column.dtype).reshape(rows, width)


def _string_array(column: np.ndarray, codec: str) -> pa.StringArray:
    """The cells of a (rows x width) code-unit matrix as an Arrow string array (untrimmed)."""
    rows, width = column.shape
    contiguous = _cells(column)
    if codec == ASCII or contiguous.max(initial=0) < 0x80:
        # ASCII cells (the usual case, whatever the file's encoding) are their own UTF-8.
        data = contiguous.astype(np.uint8, copy=False).tobytes()
        offsets = np.arange(0, rows * width + 1, width, dtype=np.int32)
    else:
        data = contiguous.tobytes().decode(codec).encode("utf-8")
        offsets = np.zeros(rows + 1, dtype=np.int32)
        np.cumsum(_utf8_sizes(contiguous, codec), out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _digits(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer value of each all-digit cell, and which cells are all digits."""
    cells = _cells(column)
    digits = cells - cells.dtype.type(0x30)  # wraps below '0', so one comparison checks the range
    values = np.zeros(len(cells), dtype=np.int64)
    for position in range(cells.shape[1]):
        values *= 10
        values += digits[:, position]
    if digits.max(initial=0) <= 9:
        return values, np.ones(len(cells), dtype=bool)
    return values, np.asarray((digits <= 9).all(axis=1))


def _blank(column: np.ndarray) -> np.ndarray:
    return np.asarray((column == _SPACE).all(axis=1))


def _parse_string(column: np.ndarray, codec: str) -> tuple[pa.Array, np.ndarray]:
    if (
        len(column)
        and column.shape[1]
        and not (column[:, 0] == _SPACE).any()
        and not (column[:, -1] == _SPACE).any()
    ):
        # Every cell is filled to both edges (codes, keys): nothing to trim and nothing blank.
        return _string_array(column, codec), np.zeros(len(column), dtype=bool)
    # Trimming only the ASCII space is safe on UTF-8: 0x20 never occurs inside a multi-byte character.
    trimmed = pc.ascii_trim(_string_array(column, codec), characters=" ")
    blank = pc.binary_length(trimmed).to_numpy(zero_copy_only=False) == 0
    if blank.any():
        trimmed = pc.if_else(pa.array(blank), _NULL_STRING, trimmed)
    return trimmed, blank


def _parse_string_dictionary(column: np.ndarray, codec: str) -> tuple[pa.DictionaryArray, np.ndarray]:
    """A repetitive text column, encoded on its raw cells: only the distinct values are decoded and
    trimmed, and the Parquet writer gets a dictionary it does not have to build."""
    cells = _cells(column)
    rows, width = cells.shape
    if not rows:
        empty = pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
        return empty, np.zeros(0, dtype=bool)
    raw = pa.Array.from_buffers(pa.binary(width * cells.itemsize), rows, [None, pa.py_buffer(cells)])
    encoded = pc.dictionary_encode(raw)
    entries = encoded.dictionary
    distinct = np.frombuffer(entries.buffers()[1], dtype=cells.dtype, count=len(entries) * width)
    values, _ = _parse_string(distinct.reshape(len(entries), width), codec)
    # Cells differing only in padding trim to the same text: merge them; blank ones become nulls.
    merged = pc.dictionary_encode(values)
    if len(merged.dictionary) == len(values) and not merged.null_count:
        return pa.DictionaryArray.from_arrays(encoded.indices, values), np.zeros(rows, dtype=bool)
    indices = pc.take(merged.indices, encoded.indices)
    column_values = pa.DictionaryArray.from_arrays(indices, merged.dictionary)
    return column_values, indices.is_null().to_numpy(zero_copy_only=False)


def _parse_integer(column: np.ndarray, codec: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, null mask, invalid mask); numbers are zero- or space-padded, with an optional sign."""
    values, is_digit = _digits(column)
    blank = np.zeros(len(column), dtype=bool)
    invalid = np.zeros(len(column), dtype=bool)
    if is_digit.all():
        return values, blank, invalid
    blank = _blank(column)
    for row in np.flatnonzero(~is_digit & ~blank):
        text = column[row].tobytes().decode(codec).strip(" ")
        if _INTEGER.fullmatch(text):
            values[row] = int(text)
        else:
            invalid[row] = True
    return values, blank | invalid, invalid


def _decimal_array(values: np.ndarray, nulls: np.ndarray, data_type: pa.Decimal128Type) -> pa.Array:
    # decimal128 stores the unscaled integer: the digits as read, two's complement over 16 bytes.
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63
    validity = pa.py_buffer(np.packbits(~nulls, bitorder="little")) if nulls.any() else None
    return pa.Array.from_buffers(data_type, len(values), [validity, pa.py_buffer(words)])


@lru_cache(maxsize=64)
def _date_plan(date_format: str) -> tuple[tuple[str, int, int], ...] | None:
    """Positions of %Y/%m/%d and literal characters, or None when the format needs a real parser."""
    plan: list[tuple[str, int, int]] = []
    position = 0
    tokens = re.findall(r"%.|[^%]", date_format)
    for token in tokens:
        if token.startswith("%"):
            size = _DATE_PARTS.get(token[1])
            if size is None:
                return None
            plan.append((token[1], position, size))
            position += size
        else:
            plan.append((token, position, 1))
            position += 1
    return tuple(plan)


def _parse_date_columns(
    column: np.ndarray, plan: tuple[tuple[str, int, int], ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(days since epoch, valid mask) for formats made of %Y, %m, %d and literal characters."""
    parts = {"Y": np.full(len(column), 1970, dtype=np.int64), "m": np.ones(len(column), dtype=np.int64)}
    parts["d"] = np.ones(len(column), dtype=np.int64)
    valid = np.ones(len(column), dtype=bool)
    for kind, position, size in plan:
        cells = column[:, position : position + size]
        if kind in _DATE_PARTS:
            parts[kind], is_digit = _digits(cells)
            valid &= is_digit
        else:
            valid &= cells[:, 0] == ord(kind)
    year, month, day = parts["Y"], parts["m"], parts["d"]
    valid &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    year, month, day = (np.where(valid, value, 1) for value in (year, month, day))
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + (day - 1)
    valid &= dates.astype("datetime64[M]") == months  # 30 February rolls into March: not a date
    return dates.astype(np.int64), valid


def _parse_date(column: np.ndarray, codec: str, item: Field) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    assert item.date_format is not None
    blank = _blank(column)
    plan = _date_plan(item.date_format)
    if plan is not None:
        days, valid = _parse_date_columns(column, plan)
    else:
        text = _string_array(column, codec)
        parsed = pc.strptime(text, format=item.date_format, unit="s", error_is_null=True)
        # strptime rolls impossible dates over; formatting back catches that.
        valid = pc.fill_null(pc.equal(pc.strftime(parsed, format=item.date_format), text), False).to_numpy(
            zero_copy_only=False
        )
        days = pc.fill_null(pc.cast(pc.cast(parsed, pa.date32()), pa.int32()), 0).to_numpy().astype(np.int64)
    invalid = ~valid & ~blank
    nulls = ~valid
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=nulls).view(pa.date32()), blank, invalid


def _parse_field(
    item: Field, matrix: np.ndarray, codec: str, dictionary: bool
) -> tuple[pa.Array, list[_Check]]:
    column = matrix[:, item.offset : item.offset + item.length]
    invalid: np.ndarray | None = None
    if item.type is FieldType.STRING and dictionary:
        values, blank = _parse_string_dictionary(column, codec)
    elif item.type is FieldType.STRING:
        values, blank = _parse_string(column, codec)
    elif item.type is FieldType.DATE:
        values, blank, invalid = _parse_date(column, codec, item)
    else:
        numbers, nulls, invalid = _parse_integer(column, codec)
        blank = nulls & ~invalid
        data_type = item.arrow_type()
        if isinstance(data_type, pa.Decimal128Type):
            values = _decimal_array(numbers, nulls, data_type)
        else:
            values = pa.array(numbers, type=pa.int64(), mask=nulls if nulls.any() else None)
    checks = []
    if item.required and blank.any():
        checks.append(_Check(blank, required_reason(item), item))
    if invalid is not None and invalid.any():
        checks.append(_Check(invalid, invalid_reason(item), item))
    return values, checks


def _starts_with(batch: LineBatch, rows: np.ndarray, literal: str) -> np.ndarray:
    size = len(literal)
    positions = np.minimum(batch.starts[rows][:, None] + np.arange(size), len(batch.units) - 1)
    expected = np.array([ord(char) for char in literal], dtype=np.int64)
    return np.asarray((batch.lengths[rows] >= size) & (batch.units[positions] == expected).all(axis=1))


def _spread(mask: np.ndarray, where: np.ndarray, size: int) -> np.ndarray:
    full = np.zeros(size, dtype=bool)
    full[where] = mask
    return full


def parse_records(
    layout: Layout,
    batch: LineBatch,
    rows: np.ndarray,
    line_column: str,
    control_records: Sequence[tuple[str, str]] = (),
    dictionary: Collection[str] = (),
) -> ParsedBatch:
    """Types the lines ``rows`` (positions in ``batch``) as detail records of ``layout``.

    ``control_records`` are (match, reason) pairs for header/trailer records found where a detail
    record belongs; text fields named in ``dictionary`` come back dictionary-encoded.
    """
    count = len(rows)
    checks: list[_Check] = []
    rejected = np.zeros(count, dtype=bool)
    if batch.rejected:
        position_of = {int(row): index for index, row in enumerate(rows)}
        for reason in sorted(set(batch.rejected.values())):
            failed = np.zeros(count, dtype=bool)
            failed[
                [
                    position_of[row]
                    for row, why in batch.rejected.items()
                    if why == reason and row in position_of
                ]
            ] = True
            checks.append(_Check(failed, reason))
            rejected |= failed
    wrong_length = (batch.lengths[rows] != layout.record_length) & ~rejected
    if wrong_length.any():
        suspects = np.flatnonzero(wrong_length)
        blank = [not text.strip() for text in batch.texts(rows[suspects])]
        checks.append(_Check(_spread(np.array(blank, dtype=bool), suspects, count), BLANK_LINE))
    for literal, reason in control_records:
        checks.append(_Check(_starts_with(batch, rows, literal), reason))
    if wrong_length.any():
        checks.append(_Check(wrong_length, wrong_length_reason(layout)))
    regular = np.flatnonzero(~wrong_length & ~rejected)
    matrix = _record_matrix(batch, rows[regular], layout.record_length)
    columns = []
    for item in layout.fields:
        values, field_checks = _parse_field(item, matrix, batch.codec, item.name in dictionary)
        columns.append(values)
        checks.extend(
            _Check(_spread(check.failed, regular, count), check.reason, check.field) for check in field_checks
        )
    numbers = batch.first_line + rows
    good = pa.table([*columns, pa.array(numbers[regular])], names=[*layout.column_names, line_column])
    failed = np.zeros(count, dtype=bool)
    for check in checks:
        failed |= check.failed
    if not failed.any():
        return ParsedBatch(good, QUARANTINE_SCHEMA.empty_table())
    good = good.filter(pa.array(~failed[regular]))
    return ParsedBatch(good, _quarantine(batch, rows, numbers, failed, checks))


def _quarantine(
    batch: LineBatch, rows: np.ndarray, numbers: np.ndarray, failed: np.ndarray, checks: list[_Check]
) -> pa.Table:
    """One row per failed line with its first failing check, the raw line and the offending value."""
    first = np.full(len(rows), -1, dtype=np.int64)
    for index in range(len(checks) - 1, -1, -1):
        first[checks[index].failed] = index
    positions = np.flatnonzero(failed)
    raws = batch.texts(rows[positions])
    reasons, fields, values = [], [], []
    for raw, index in zip(raws, first[positions], strict=True):
        check = checks[index]
        reasons.append(check.reason)
        fields.append(check.field.name if check.field else None)
        values.append(
            raw[check.field.offset : check.field.offset + check.field.length] if check.field else None
        )
    return pa.table(
        [
            pa.array(numbers[positions]),
            pa.array(raws, pa.string()),
            pa.array(reasons, pa.string()),
            pa.array(fields, pa.string()),
            pa.array(values, pa.string()),
        ],
        schema=QUARANTINE_SCHEMA,
    )
