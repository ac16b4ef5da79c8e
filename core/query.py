"""Read-only SQL against the catalog: DuckDB's catalog file locally, Athena over the Glue catalog on AWS."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.layout import LakeLayout


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


@dataclass(frozen=True)
class DuckDbQueryEngine:
    """A read-only connection per query, so it never blocks on, nor is blocked by, a running run."""

    catalog_path: Path

    def query(self, sql: str) -> QueryResult:
        if not self.catalog_path.exists():
            raise CatalogMissingError(
                f"no catalog at {self.catalog_path}: run `lakehouse demo` or `lakehouse run` first"
            )
        import duckdb  # the local engine only: the Lambda artifact carries no DuckDB

        with duckdb.connect(str(self.catalog_path), read_only=True) as connection:
            try:
                result = connection.execute(sql)
            except duckdb.Error as exc:
                raise QueryError(str(exc)) from exc
            columns = [column[0] for column in result.description or []]
            return QueryResult(columns, result.fetchall())


@dataclass(frozen=True)
class AthenaQueryEngine:
    """Athena with its results under ``athena-results/`` of the lake bucket (as dbt-athena's profile)."""

    client: Any  # a boto3 Athena client
    layout: LakeLayout
    workgroup: str = "primary"
    poll_seconds: float = 0.5

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
