"""Read-only SQL against the catalog: DuckDB's catalog file locally, Athena over the Glue catalog on AWS."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.layout import LakeLayout

if TYPE_CHECKING:
    import duckdb


class QueryError(RuntimeError):
    pass


class CatalogMissingError(QueryError):
    pass


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


class QueryEngine(Protocol):
    def query(self, sql: str) -> QueryResult: ...

    def refresh(self) -> None:
        """Makes what the writer just published visible to readers (a no-op where the catalog is shared)."""
        ...


SNAPSHOT_FILE = "catalog.snapshot.duckdb"
# Folders whose files the catalog's views read; never the SFTP keys, the demo source database or dbt's state.
READABLE_FOLDERS = ("landing", "bronze", "silver", "gold", "quarantine", "reports")
# By name: the names differ between DuckDB and its type stubs.
READ_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})


class QueryRefused(QueryError):
    """The SQL is not a read, or it reaches outside what a reader may see."""


def _literal(text: str) -> str:
    return text.replace("'", "''")


def check_read_only(connection: duckdb.DuckDBPyConnection, sql: str) -> None:
    import duckdb  # the local engine only: the Lambda artifact carries no DuckDB

    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from exc
    if not statements:
        raise QueryRefused("no SQL statement given")
    for statement in statements:
        kind = statement.type.name
        if kind not in READ_STATEMENTS:
            raise QueryRefused(
                f"only read statements (SELECT) are allowed: refused a {kind} statement"
                + (" (query cannot write files)" if kind == "COPY" else "")
            )


@dataclass(frozen=True)
class DuckDbQueryEngine:
    """Read-only SQL that never takes the writer's catalog lock, so it never blocks on, nor is blocked by, a run.

    A run holds ``catalog.duckdb`` open for writing (DuckDB locks the file). When the writer is done with
    it, :meth:`refresh` copies it to ``catalog.snapshot.duckdb`` (copy aside, one atomic rename); a query
    attaches that snapshot read-only in an in-memory DuckDB, whose ``gold`` views read the published
    Parquet. That DuckDB cannot write files nor read outside the lake's data folders: only read
    statements are accepted, external access is off except for those folders, and its configuration is
    locked so the SQL cannot turn it back on.
    """

    catalog_path: Path

    @property
    def snapshot_path(self) -> Path:
        return self.catalog_path.with_name(SNAPSHOT_FILE)

    def refresh(self) -> None:
        """Publishes the catalog to readers; call it only when no connection has it open for writing."""
        if not self.catalog_path.is_file():
            return
        fd, temporary = tempfile.mkstemp(prefix=".catalog-snapshot-", dir=self.catalog_path.parent)
        os.close(fd)
        try:
            shutil.copyfile(self.catalog_path, temporary)
            os.replace(temporary, self.snapshot_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _source(self) -> Path:
        if self.snapshot_path.is_file():
            return self.snapshot_path
        if self.catalog_path.is_file():  # a lake written before snapshots existed: the catalog, read-only
            return self.catalog_path
        raise CatalogMissingError(
            f"no catalog at {self.catalog_path}: run `lakehouse demo` or `lakehouse run` first"
        )

    def _open(self) -> duckdb.DuckDBPyConnection:
        import duckdb  # the local engine only: the Lambda artifact carries no DuckDB

        source, lake_root = self._source(), self.catalog_path.parent.resolve()
        connection = duckdb.connect(":memory:")
        try:
            # Under the catalog file's own name: the views dbt wrote there name it (catalog.silver.x).
            attached_as = '"' + self.catalog_path.stem.replace('"', '""') + '"'
            connection.execute(f"ATTACH '{_literal(str(source))}' AS {attached_as} (READ_ONLY)")
            connection.execute(f"USE {attached_as}")
            allowed = ", ".join(f"'{_literal(str(lake_root / folder))}/'" for folder in READABLE_FOLDERS)
            connection.execute(f"SET allowed_directories = [{allowed}]")
            connection.execute("SET enable_external_access = false")
            connection.execute("SET lock_configuration = true")
        except duckdb.IOException as exc:
            connection.close()
            raise QueryError(
                f"the catalog {source} is being written by a run and this lake has no snapshot yet; "
                "query again when the run ends"
            ) from exc
        except BaseException:
            connection.close()
            raise
        return connection

    def query(self, sql: str) -> QueryResult:
        import duckdb  # the local engine only: the Lambda artifact carries no DuckDB

        connection = self._open()
        try:
            check_read_only(connection, sql)
            try:
                result = connection.execute(sql)
            except duckdb.PermissionException as exc:
                raise QueryRefused(
                    f"{str(exc).splitlines()[0]} (query reads only the lake's data folders)"
                ) from exc
            except duckdb.Error as exc:
                raise QueryError(str(exc)) from exc
            columns = [column[0] for column in result.description or []]
            return QueryResult(columns, result.fetchall())
        finally:
            connection.close()


@dataclass(frozen=True)
class AthenaQueryEngine:
    """Athena with its results under ``athena-results/`` of the lake bucket (as dbt-athena's profile)."""

    client: Any  # a boto3 Athena client
    layout: LakeLayout
    workgroup: str = "primary"
    poll_seconds: float = 0.5

    def refresh(self) -> None:
        """The Glue catalog is shared: what dbt-athena registered is visible at once."""

    def query(self, sql: str) -> QueryResult:
        started = self.client.start_query_execution(
            QueryString=sql,
            WorkGroup=self.workgroup,
            ResultConfiguration={"OutputLocation": f"{self.layout.uri}/athena-results/"},
        )
        execution_id = started["QueryExecutionId"]
        while True:
            status = self.client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Status"]
            if status["State"] in {"SUCCEEDED", "FAILED", "CANCELLED"}:
                break
            time.sleep(self.poll_seconds)
        if status["State"] != "SUCCEEDED":
            raise QueryError(f"Athena query {execution_id} {status['State']}: {status.get('StateChangeReason', '')}")
        columns: list[str] = []
        rows: list[tuple[Any, ...]] = []
        for page in self.client.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
            result_set = page["ResultSet"]
            if not columns:
                columns = [item["Name"] for item in result_set["ResultSetMetadata"]["ColumnInfo"]]
            for row in result_set["Rows"]:
                values = tuple(item.get("VarCharValue") for item in row["Data"])
                if not rows and values == tuple(columns):
                    continue  # Athena repeats the header as the first row of the first page
                rows.append(values)
        return QueryResult(columns, rows)
