"""PostgreSQL (and Aurora PostgreSQL): ``COPY (SELECT ...) TO STDOUT`` as CSV, parsed by Arrow's streaming reader.

Why this path: the server renders CSV in C, Arrow parses it in C++ on its own threads, and Python only
hands buffers over; a DB-API fetch instead builds a Python object per value (5 to 10 times slower, see
``bench/aurora.py``). The COPY stream is read through psycopg's libpq wrapper one protocol message at a
time, so the server is never ahead of the reader by more than the socket buffers: memory is bounded by
one CSV block plus one output batch, whatever the table size.
"""

from __future__ import annotations

import io
import select
from collections.abc import Iterator, Sequence

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import pq, sql

from ingestion.aurora.batches import rebatch
from ingestion.aurora.columns import SourceColumn, postgres_column
from ingestion.aurora.source import TableNotFoundError
from ingestion.aurora.urls import SourceUrl

CSV_BLOCK_BYTES = 4 << 20
# Fixed renderings the CSV parser relies on, whatever the server's or role's defaults.
SESSION_SETTINGS = (
    "SET client_encoding = 'UTF8'",
    "SET TIME ZONE 'UTC'",
    "SET datestyle = 'ISO, YMD'",
    "SET intervalstyle = 'iso_8601'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)

_TABLES = """
SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname
"""
_COLUMNS = """
SELECT c.column_name, c.data_type, c.numeric_precision, c.numeric_scale, format_type(a.atttypid, a.atttypmod)
FROM information_schema.columns c
JOIN pg_catalog.pg_namespace n ON n.nspname = c.table_schema
JOIN pg_catalog.pg_class t ON t.relnamespace = n.oid AND t.relname = c.table_name
JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attname = c.column_name
WHERE c.table_schema = %s AND c.table_name = %s ORDER BY c.ordinal_position
"""
_PRIMARY_KEY = """
SELECT a.attname FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
WHERE n.nspname = %s AND t.relname = %s AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)
"""


class CopyOutStream(io.RawIOBase):
    """A readable file over a ``COPY ... TO STDOUT`` running on ``pgconn`` (Arrow's reader pulls from it)."""

    def __init__(self, pgconn: pq.abc.PGconn, statement: bytes) -> None:
        super().__init__()
        self._pgconn = pgconn
        self._buffer = bytearray()
        self._done = False
        pgconn.send_query(statement)
        while pgconn.flush():
            select.select([], [pgconn.socket], [])
        result = pgconn.get_result()
        if result is None or result.status != pq.ExecStatus.COPY_OUT:
            message = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) if result else None
            self._finish()
            raise psycopg.DatabaseError((message or b"COPY did not start").decode(errors="replace"))

    def readable(self) -> bool:
        return True

    def at_end(self) -> bool:
        """Whether the COPY returned no data at all (reads ahead to know)."""
        self._fill(1)
        return not self._buffer

    def _fill(self, wanted: int) -> None:
        # The hot loop: one libpq message (one row) per call, appended without per-row objects of our own.
        buffer, get = self._buffer, self._pgconn.get_copy_data
        while len(buffer) < wanted and not self._done:
            size, data = get(1)
            if size > 0:
                buffer += data
            elif size == 0:
                # Nothing buffered: wait for the socket without holding the GIL, then take what arrived.
                select.select([self._pgconn.socket], [], [])
                self._pgconn.consume_input()
            elif size == -1:
                self._finish()
            else:
                raise psycopg.DatabaseError(self._pgconn.get_error_message())

    def _finish(self) -> None:
        self._done = True
        error = None
        while (result := self._pgconn.get_result()) is not None:
            if result.status not in {pq.ExecStatus.COMMAND_OK, pq.ExecStatus.COPY_OUT}:
                error = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"COPY failed"
        if error is not None:
            raise psycopg.DatabaseError(error.decode(errors="replace"))

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        self._fill(len(view))
        taken = min(len(view), len(self._buffer))
        view[:taken] = self._buffer[:taken]
        del self._buffer[:taken]
        return taken


class PostgresSource:
    def __init__(self, url: SourceUrl) -> None:
        self.url = url
        self._connection = self._connect()

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        connection = psycopg.connect(
            host=self.url.host,
            port=self.url.port,
            user=self.url.user or None,
            password=self.url.password or None,
            dbname=self.url.database,
            autocommit=True,
            connect_timeout=30,
            application_name="lakehouse-aurora-extract",
        )
        for statement in SESSION_SETTINGS:
            connection.execute(statement)
        # One snapshot for every table of the run: payments never reference contracts the extract misses.
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return connection

    def tables(self) -> list[str]:
        return [str(row[0]) for row in self._connection.execute(_TABLES, (self.url.schema,)).fetchall()]

    def columns(self, table: str) -> list[SourceColumn]:
        rows = self._connection.execute(_COLUMNS, (self.url.schema, table)).fetchall()
        if not rows:
            raise TableNotFoundError(f"table {table!r} not found in schema {self.url.schema!r} of {self.url.redacted()}")
        return [
            postgres_column(str(name), str(data_type), precision, scale, str(declared))  # type: ignore[arg-type]
            for name, data_type, precision, scale, declared in rows
        ]

    def primary_key(self, table: str) -> list[str]:
        return [str(row[0]) for row in self._connection.execute(_PRIMARY_KEY, (self.url.schema, table)).fetchall()]

    def copy_statement(self, table: str, columns: Sequence[SourceColumn], order_by: Sequence[str]) -> bytes:
        selected = sql.SQL(", ").join(
            sql.SQL(column.expression.replace("{}", "{name}")).format(name=sql.Identifier(column.name))
            if column.expression
            else sql.Identifier(column.name)
            for column in columns
        )
        order = (
            sql.SQL(" ORDER BY ") + sql.SQL(", ").join(sql.Identifier(name) for name in order_by)
            if order_by
            else sql.SQL("")
        )
        statement = sql.SQL("COPY (SELECT {} FROM {}.{}{}) TO STDOUT (FORMAT csv)").format(
            selected, sql.Identifier(self.url.schema), sql.Identifier(table), order
        )
        return statement.as_bytes(self._connection)

    def read(
        self, table: str, columns: Sequence[SourceColumn], order_by: Sequence[str], batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        schema = pa.schema([column.field for column in columns])
        stream = CopyOutStream(self._connection.pgconn, self.copy_statement(table, columns, order_by))
        if stream.at_end():
            return
        names = [f"c{index}" for index in range(len(columns))]
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=names, block_size=CSV_BLOCK_BYTES),
            # Quoted newlines need the slower quote-aware block splitter; only text columns can hold them.
            parse_options=pacsv.ParseOptions(newlines_in_values=any(pa.types.is_string(c.arrow_type) for c in columns)),
            convert_options=pacsv.ConvertOptions(
                column_types=dict(zip(names, (column.arrow_type for column in columns), strict=True)),
                # COPY CSV writes NULL as an empty unquoted field and '' as "".
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["t"],
                false_values=["f"],
            ),
        )
        renamed = (pa.RecordBatch.from_arrays(batch.columns, schema=schema) for batch in reader)
        yield from rebatch(renamed, schema, batch_rows)

    def recover(self) -> None:
        self._connection.close()
        self._connection = self._connect()

    def close(self) -> None:
        self._connection.close()
