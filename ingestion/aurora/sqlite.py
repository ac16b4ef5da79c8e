"""SQLite (the demo's stand-in for Aurora): ``fetchmany`` batches; values converted to the declared type.

SQLite stores any value in any column, so the declared type says what the application meant:
numerics may come back as integers, floats or text; booleans as 0/1; timestamps as ISO-8601 text
(with an offset for ``TIMESTAMPTZ`` columns, converted to UTC; without one they are taken as UTC) or
as Unix epoch seconds. A value that does not fit its declared type fails the table with its column.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa

from ingestion.aurora.batches import rows_to_batch
from ingestion.aurora.columns import SourceColumn, sqlite_column
from ingestion.aurora.source import TableNotFoundError
from ingestion.aurora.urls import SourceUrl

_TRUE = {"1", "t", "true", "s", "y", "yes"}
_FALSE = {"0", "f", "false", "n", "no"}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _boolean(value: Any) -> bool:
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"not a boolean: {value!r}")


def _decimal(scale: int) -> Callable[[Any], Decimal]:
    quantum = Decimal(1).scaleb(-scale)

    def convert(value: Any) -> Decimal:
        # repr of a float is the shortest text that round-trips: 1234.56 stays 1234.56, not its binary expansion.
        return Decimal(repr(value) if isinstance(value, float) else str(value).strip()).quantize(quantum, ROUND_HALF_UP)

    return convert


def _instant(value: Any, keep_zone: bool) -> dt.datetime:
    if isinstance(value, int | float):
        moment = dt.datetime.fromtimestamp(value, tz=dt.UTC)
    else:
        moment = dt.datetime.fromisoformat(str(value).strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(dt.UTC)
    return moment if keep_zone else moment.replace(tzinfo=None)


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value).strip()[:10])


def _text(value: Any) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


def _float(value: Any) -> float:
    return float(value)


def _integer(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    raise ValueError(f"not an integer: {value!r}")


def converter(column: SourceColumn) -> Callable[[Any], Any]:
    kind = column.arrow_type
    if pa.types.is_boolean(kind):
        return _boolean
    if pa.types.is_decimal(kind):
        return _decimal(kind.scale)
    if pa.types.is_timestamp(kind):
        keep_zone = kind.tz is not None
        return lambda value: _instant(value, keep_zone)
    if pa.types.is_date(kind):
        return _date
    if pa.types.is_integer(kind):
        return _integer
    if pa.types.is_floating(kind):
        return _float
    return _text


class SqliteSource:
    def __init__(self, url: SourceUrl) -> None:
        if not url.path.is_file():
            raise FileNotFoundError(f"SQLite database {url.path} does not exist")
        self.url = url
        self._connection = self._connect()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(f"{self.url.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        # A read transaction: every table is read from the same snapshot.
        connection.execute("BEGIN")
        return connection

    def tables(self) -> list[str]:
        rows = self._connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        return [str(row[0]) for row in rows]

    def _info(self, table: str) -> list[tuple[Any, ...]]:
        rows = self._connection.execute("SELECT * FROM pragma_table_info(?)", (table,)).fetchall()
        if not rows:
            raise TableNotFoundError(f"table {table!r} not found in {self.url.redacted()}")
        return rows

    def columns(self, table: str) -> list[SourceColumn]:
        return [sqlite_column(str(row[1]), str(row[2] or "")) for row in self._info(table)]

    def primary_key(self, table: str) -> list[str]:
        keyed = sorted((int(row[5]), str(row[1])) for row in self._info(table) if int(row[5]) > 0)
        return [name for _, name in keyed]

    def read(
        self, table: str, columns: Sequence[SourceColumn], order_by: Sequence[str], batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        schema = pa.schema([column.field for column in columns])
        selected = ", ".join(quote_identifier(column.name) for column in columns)
        order = f" ORDER BY {', '.join(quote_identifier(name) for name in order_by)}" if order_by else ""
        cursor = self._connection.execute(f"SELECT {selected} FROM {quote_identifier(table)}{order}")
        converters = [converter(column) for column in columns]
        try:
            while rows := cursor.fetchmany(batch_rows):
                yield rows_to_batch(rows, columns, schema, converters, table)
        finally:
            cursor.close()

    def recover(self) -> None:
        self._connection.close()
        self._connection = self._connect()

    def close(self) -> None:
        self._connection.close()
