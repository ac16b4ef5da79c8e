"""MySQL and MariaDB (and Aurora MySQL): an unbuffered server-side cursor (PyMySQL ``SSCursor``) read with
``fetchmany``, so rows stream from the server and only one batch is ever held."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pymysql
import pymysql.cursors

from ingestion.aurora.batches import rows_to_batch
from ingestion.aurora.columns import SourceColumn, mysql_column
from ingestion.aurora.source import TableNotFoundError
from ingestion.aurora.urls import SourceUrl

_TABLES = """
SELECT TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME
"""
_COLUMNS = """
SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION
"""
_PRIMARY_KEY = """
SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION
"""


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _converter(column: SourceColumn) -> Callable[[Any], Any] | None:
    if pa.types.is_boolean(column.arrow_type):
        return bool
    if pa.types.is_string(column.arrow_type):
        return _text
    return None


class MySqlSource:
    def __init__(self, url: SourceUrl) -> None:
        self.url = url
        self._connection = self._connect()

    def _connect(self) -> pymysql.connections.Connection[Any]:
        connection = pymysql.connect(
            host=self.url.host,
            port=self.url.port,
            user=self.url.user,
            password=self.url.password,
            database=self.url.database,
            charset="utf8mb4",
            connect_timeout=30,
            autocommit=True,
        )
        with connection.cursor() as cursor:
            # TIMESTAMP values come back as UTC wall time, which is what the tz-aware Arrow type expects.
            cursor.execute("SET time_zone = '+00:00'")
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        return connection

    def _query(self, statement: str, table: str) -> list[tuple[Any, ...]]:
        with self._connection.cursor() as cursor:
            cursor.execute(statement, (self.url.schema, table))
            return list(cursor.fetchall())

    def tables(self) -> list[str]:
        with self._connection.cursor() as cursor:
            cursor.execute(_TABLES, (self.url.schema,))
            return [_text(row[0]) for row in cursor.fetchall()]

    def columns(self, table: str) -> list[SourceColumn]:
        rows = self._query(_COLUMNS, table)
        if not rows:
            raise TableNotFoundError(f"table {table!r} not found in database {self.url.schema!r} of {self.url.redacted()}")
        return [
            mysql_column(_text(name), _text(data_type), _text(column_type), precision, scale)
            for name, data_type, column_type, precision, scale in rows
        ]

    def primary_key(self, table: str) -> list[str]:
        return [_text(row[0]) for row in self._query(_PRIMARY_KEY, table)]

    def read(
        self, table: str, columns: Sequence[SourceColumn], order_by: Sequence[str], batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        schema = pa.schema([column.field for column in columns])
        selected = ", ".join(
            column.expression.format(quote_identifier(column.name)) if column.expression else quote_identifier(column.name)
            for column in columns
        )
        order = f" ORDER BY {', '.join(quote_identifier(name) for name in order_by)}" if order_by else ""
        statement = f"SELECT {selected} FROM {quote_identifier(self.url.schema)}.{quote_identifier(table)}{order}"
        converters = [_converter(column) for column in columns]
        cursor = self._connection.cursor(pymysql.cursors.SSCursor)
        try:
            cursor.execute(statement)
            while rows := cursor.fetchmany(batch_rows):
                yield rows_to_batch(rows, columns, schema, converters, table)
        finally:
            cursor.close()

    def recover(self) -> None:
        self._connection.close()
        self._connection = self._connect()

    def close(self) -> None:
        self._connection.close()
