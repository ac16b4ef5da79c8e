"""``lakehouse query`` on the local backend: read-only SQL that never takes the writer's catalog lock.

A run holds ``catalog.duckdb`` open for writing (DuckDB locks the file), so readers do not open it.
When a run has finished with the catalog it copies it to ``catalog.snapshot.duckdb`` (copy aside, then
one atomic rename). A query attaches that snapshot read-only in an in-memory DuckDB: its ``gold``
views read the published Parquet (the ``gold/<table>`` links), so readers see published gold and a
run that is going neither blocks them nor is blocked by them.

The query's DuckDB cannot write files nor read outside the lake's data folders: only read statements
(SELECT, EXPLAIN) are accepted, external access is off except for those folders, and the
configuration is locked so the SQL cannot turn it back on.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

CATALOG_FILE = "catalog.duckdb"
SNAPSHOT_FILE = "catalog.snapshot.duckdb"
ATTACHED_AS = "lake"
# Folders whose files the catalog's views read; never the SFTP keys, the demo source database or dbt's state.
READABLE_FOLDERS = ("landing", "bronze", "silver", "gold", "quarantine", "reports")
# By name: the names differ between DuckDB and its type stubs.
READ_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})


class QueryRefused(ValueError):
    """The SQL is not a read, or it reaches outside what a reader may see."""


class NoCatalogError(FileNotFoundError):
    pass


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def snapshot_path(lake_root: Path) -> Path:
    return lake_root / SNAPSHOT_FILE


def publish_catalog_snapshot(lake_root: Path) -> Path | None:
    """Copies the catalog for readers; call it only when no connection has the catalog open for writing."""
    catalog = lake_root / CATALOG_FILE
    if not catalog.is_file():
        return None
    target = snapshot_path(lake_root)
    fd, temporary = tempfile.mkstemp(prefix=".catalog-snapshot-", dir=lake_root)
    os.close(fd)
    try:
        shutil.copyfile(catalog, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _readable_source(lake_root: Path) -> Path:
    snapshot = snapshot_path(lake_root)
    if snapshot.is_file():
        return snapshot
    catalog = lake_root / CATALOG_FILE
    if catalog.is_file():  # a lake written before snapshots existed: read the catalog itself, read-only
        return catalog
    raise NoCatalogError(f"no catalog at {catalog}: run `lakehouse demo` or `lakehouse run` first")


def open_reader(lake_root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake's catalog attached read-only, sandboxed to the lake's data."""
    lake_root = lake_root.resolve()
    source = _readable_source(lake_root)
    connection = duckdb.connect(":memory:")
    try:
        connection.execute(f"ATTACH '{_literal(str(source))}' AS {ATTACHED_AS} (READ_ONLY)")
        connection.execute(f"USE {ATTACHED_AS}")
        allowed = ", ".join(f"'{_literal(str(lake_root / folder))}/'" for folder in READABLE_FOLDERS)
        connection.execute(f"SET allowed_directories = [{allowed}]")
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
    except duckdb.IOException as exc:
        connection.close()
        raise NoCatalogError(
            f"the catalog {source} is being written by a run and this lake has no snapshot yet; "
            "query again when the run ends"
        ) from exc
    except BaseException:
        connection.close()
        raise
    return connection


def _literal(text: str) -> str:
    return text.replace("'", "''")


def check_read_only(connection: duckdb.DuckDBPyConnection, sql: str) -> None:
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(str(exc)) from exc
    if not statements:
        raise QueryRefused("no SQL statement given")
    for statement in statements:
        kind = statement.type.name
        if kind not in READ_STATEMENTS:
            raise QueryRefused(
                f"only read statements (SELECT) are allowed: refused a {kind} statement"
                + (" (query cannot write files)" if kind == "COPY" else "")
            )


def run_query(lake_root: Path, sql: str) -> QueryResult:
    """Runs read-only SQL; raises QueryRefused for a write or outside access, duckdb.Error for bad SQL."""
    connection = open_reader(lake_root)
    try:
        check_read_only(connection, sql)
        try:
            result = connection.execute(sql)
        except duckdb.PermissionException as exc:
            raise QueryRefused(
                f"{str(exc).splitlines()[0]} (query reads only the lake's data folders)"
            ) from exc
        columns = [column[0] for column in result.description or []]
        return QueryResult(columns, result.fetchall())
    finally:
        connection.close()
