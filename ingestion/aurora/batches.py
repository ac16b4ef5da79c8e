"""Batches of a fixed maximum size, whatever size the reader produced them in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa

from ingestion.aurora.columns import SourceColumn


def rebatch(batches: Iterable[pa.RecordBatch], schema: pa.Schema, rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of exactly ``rows`` rows (the last one smaller); holds at most ``rows`` plus one input batch."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            table = pa.Table.from_batches(pending, schema=schema)
            yield table.slice(0, rows).combine_chunks().to_batches()[0]
            rest = table.slice(rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending, schema=schema).combine_chunks().to_batches()[0]


class ConversionError(ValueError):
    pass


def rows_to_batch(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[SourceColumn],
    schema: pa.Schema,
    converters: Sequence[Callable[[Any], Any] | None],
    table: str,
) -> pa.RecordBatch:
    """Column-wise conversion of fetched rows; an unconvertible value names its table, column and value."""
    arrays = []
    for index, (column, convert) in enumerate(zip(columns, converters, strict=True)):
        values = [row[index] for row in rows]
        try:
            if convert is not None:
                values = [None if value is None else convert(value) for value in values]
            arrays.append(pa.array(values, type=column.arrow_type))
        except (ValueError, TypeError, ArithmeticError, pa.ArrowException) as exc:
            raise ConversionError(
                f"table {table!r}, column {column.name!r} ({column.source_type}): cannot read as {column.arrow_type}: {exc}"
            ) from exc
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
