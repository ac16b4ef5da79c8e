"""What the extraction needs from a source database, whatever its engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import pyarrow as pa

from ingestion.aurora.columns import SourceColumn
from ingestion.aurora.urls import Dialect, SourceUrl, parse_source_url


class TableNotFoundError(LookupError):
    pass


class Source(Protocol):
    url: SourceUrl

    def tables(self) -> list[str]:
        """The base tables of the configured schema, sorted."""
        ...

    def columns(self, table: str) -> list[SourceColumn]:
        """In the table's column order; raises TableNotFoundError."""
        ...

    def primary_key(self, table: str) -> list[str]: ...

    def read(
        self, table: str, columns: Sequence[SourceColumn], order_by: Sequence[str], batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        """The table's rows in batches of at most ``batch_rows`` rows: memory is bounded by the batch size."""
        ...

    def recover(self) -> None:
        """After a failed table: a clean connection and a fresh snapshot for the remaining tables."""
        ...

    def close(self) -> None: ...


def open_source(url: str | SourceUrl) -> Source:
    """Connects and opens one read-only snapshot, so all tables of an extraction are consistent with each other."""
    parsed = parse_source_url(url) if isinstance(url, str) else url
    # Each driver (psycopg, PyMySQL) is imported only when its dialect is asked for.
    if parsed.dialect is Dialect.POSTGRESQL:
        from ingestion.aurora.postgres import PostgresSource

        return PostgresSource(parsed)
    if parsed.dialect is Dialect.MYSQL:
        from ingestion.aurora.mysql import MySqlSource

        return MySqlSource(parsed)
    from ingestion.aurora.sqlite import SqliteSource

    return SqliteSource(parsed)
