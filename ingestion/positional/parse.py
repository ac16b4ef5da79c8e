"""Vectorised slicing and typing of fixed-width records; every line either parses or gets a reason.

A batch of lines is checked column by column with Arrow compute kernels, never line by line in
Python. The first failing check of a line is its reason (record length, then fields in layout order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.positional.layout import Field, FieldType, Layout

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
_NUMBER = r"^[+-]?[0-9]+$"
_NULL_STRING = pa.scalar(None, pa.string())


@dataclass(frozen=True)
class Check:
    """One rule broken by some rows of a batch: ``failed`` is a boolean mask over the batch."""

    failed: pa.BooleanArray
    reason: str
    field: str | None = None
    value: pa.StringArray | None = None


@dataclass(frozen=True)
class ParsedBatch:
    good: pa.Table  # the layout's typed columns plus the line number column
    bad: pa.Table  # QUARANTINE_SCHEMA


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


def quarantine_rows(lines: np.ndarray, raws: list[str], reasons: list[str]) -> pa.Table:
    """A few line-level rejections built in Python (header/trailer, blank lines, undecodable lines)."""
    return pa.table(
        {
            "line": pa.array(lines, pa.int64()),
            "raw": pa.array(raws, pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "field": pa.nulls(len(raws), pa.string()),
            "value": pa.nulls(len(raws), pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )


def _parse_integers(text: pa.StringArray, blank: pa.BooleanArray) -> tuple[pa.Int64Array, pa.BooleanArray | None]:
    """int64 values (null when blank or invalid) and the mask of invalid non-blank values, if any."""
    candidates = pc.if_else(blank, _NULL_STRING, text) if blank.true_count else text
    try:
        return pc.cast(candidates, pa.int64()), None
    except pa.ArrowInvalid:
        # Rare path: some value is not a plain integer (Arrow also refuses a leading '+').
        valid = pc.fill_null(pc.match_substring_regex(candidates, _NUMBER), False)
        cleaned = pc.if_else(valid, pc.utf8_ltrim(candidates, characters="+"), _NULL_STRING)
        return pc.cast(cleaned, pa.int64()), pc.and_not(valid, blank)


def _parse_dates(text: pa.StringArray, blank: pa.BooleanArray, date_format: str) -> tuple[pa.Array, pa.BooleanArray]:
    parsed = pc.strptime(text, format=date_format, unit="s", error_is_null=True)
    # strptime rolls impossible dates over (20240230 -> 2024-03-01); formatting back catches that.
    round_trip = pc.equal(pc.strftime(parsed, format=date_format), text)
    valid = pc.fill_null(round_trip, False)
    values = pc.if_else(valid, pc.cast(parsed, pa.date32()), pa.scalar(None, pa.date32()))
    return values, pc.and_not(pc.invert(valid), blank)


def _parse_field(item: Field, lines: pa.StringArray, checks: list[Check]) -> pa.Array:
    sliced = pc.utf8_slice_codeunits(lines, item.offset, item.offset + item.length)
    text = pc.utf8_trim(sliced, characters=" ")
    blank = pc.equal(text, "")
    if item.required and blank.true_count:
        checks.append(Check(blank, required_reason(item), item.name, sliced))
    values: pa.Array
    invalid: pa.BooleanArray | None
    if item.type is FieldType.STRING:
        return pc.if_else(blank, _NULL_STRING, text) if blank.true_count else text
    if item.type is FieldType.DATE:
        assert item.date_format is not None
        values, invalid = _parse_dates(text, blank, item.date_format)
    else:
        values, invalid = _parse_integers(text, blank)
        if item.type is FieldType.DECIMAL:
            # The digits are the unscaled value: reinterpret, no arithmetic (and no rounding) needed.
            values = values.cast(pa.decimal128(19, 0)).view(item.arrow_type())
    if invalid is not None and invalid.true_count:
        checks.append(Check(invalid, invalid_reason(item), item.name, sliced))
    return values


def _first_failures(checks: list[Check], rows: pa.BooleanArray, lines: pa.StringArray, numbers: pa.Int64Array) -> pa.Table:
    """The quarantine rows for ``rows``, each with the first check it fails."""
    reason: pa.Array = pa.nulls(rows.true_count, pa.string())
    field: pa.Array = pa.nulls(rows.true_count, pa.string())
    value: pa.Array = pa.nulls(rows.true_count, pa.string())
    for check in reversed(checks):
        failed = pc.filter(check.failed, rows)
        reason = pc.if_else(failed, pa.scalar(check.reason), reason)
        field = pc.if_else(failed, pa.scalar(check.field, pa.string()), field)
        if check.value is not None:
            value = pc.if_else(failed, pc.filter(check.value, rows), value)
        else:
            value = pc.if_else(failed, _NULL_STRING, value)
    return pa.table(
        [pc.filter(numbers, rows), pc.filter(lines, rows), reason, field, value], schema=QUARANTINE_SCHEMA
    )


def _mask(size: int, positions: list[int]) -> pa.BooleanArray:
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return pa.array(mask)


def parse_records(
    layout: Layout,
    lines: pa.StringArray,
    numbers: pa.Int64Array,
    line_column: str,
    rejected: Mapping[int, str] | None = None,
    control_records: Sequence[tuple[str, str]] = (),
) -> ParsedBatch:
    """Types the detail records of one batch; ``numbers`` are their physical line numbers.

    ``rejected`` maps batch positions the reader could not decode to a reason; ``control_records``
    are (match, reason) pairs for header/trailer records found where a detail record belongs.
    """
    checks: list[Check] = []
    for reason in sorted(set((rejected or {}).values())):
        positions = [index for index, why in (rejected or {}).items() if why == reason]
        checks.append(Check(_mask(len(lines), positions), reason))
    wrong_length = pc.not_equal(pc.utf8_length(lines), layout.record_length)
    if wrong_length.true_count:
        # Only batches with a short or long line pay for finding the blank ones among them.
        blank = pc.and_(wrong_length, pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(lines)), 0))
        if blank.true_count:
            checks.append(Check(blank, BLANK_LINE))
    for match, reason in control_records:
        misplaced = pc.starts_with(lines, match)
        if misplaced.true_count:
            checks.append(Check(misplaced, reason))
    if wrong_length.true_count:
        checks.append(Check(wrong_length, wrong_length_reason(layout)))
    columns = [_parse_field(item, lines, checks) for item in layout.fields]
    good = pa.table([*columns, numbers], names=[*layout.column_names, line_column])
    if not checks:
        return ParsedBatch(good, QUARANTINE_SCHEMA.empty_table())
    failed = checks[0].failed
    for check in checks[1:]:
        failed = pc.or_(failed, check.failed)
    return ParsedBatch(good.filter(pc.invert(failed)), _first_failures(checks, failed, lines, numbers))
