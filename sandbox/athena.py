"""moto's Athena, made to execute: each StartQueryExecution runs on the sandbox's executor before it
returns, and GetQueryExecution / GetQueryResults answer from that outcome as Athena would (state,
failure reason, statement type, a header row for queries, pages of at most 1,000 rows), with the
result written as CSV to the output location."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3

from sandbox.executor import AthenaExecutor, Outcome, StatementFailed

PAGE_LIMIT = 1000


@dataclass
class AthenaExecution:
    query_id: str
    query: str
    database: str | None
    output_location: str | None
    state: str = "QUEUED"
    statement_type: str = "DML"
    substatement_type: str | None = None
    error: str | None = None
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    update_count: int | None = None
    duckdb_sql: list[str] = field(default_factory=list)
    submitted: float = field(default_factory=time.time)
    completed: float | None = None

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["row_count"] = len(record.pop("rows"))
        return record


class _Registry:
    def __init__(self) -> None:
        self.executor: AthenaExecutor | None = None
        self.executions: dict[str, AthenaExecution] = {}
        self.log: Path | None = None
        self.endpoint = ""
        self.lock = threading.Lock()


_REGISTRY = _Registry()


def recorded_executions() -> list[AthenaExecution]:
    with _REGISTRY.lock:
        return list(_REGISTRY.executions.values())


def forget_executions() -> None:
    with _REGISTRY.lock:
        _REGISTRY.executions.clear()


def recorded_execution(query_id: str) -> AthenaExecution:
    return _REGISTRY.executions[query_id]


def _record(execution: AthenaExecution) -> None:
    with _REGISTRY.lock:
        _REGISTRY.executions[execution.query_id] = execution
        if _REGISTRY.log is not None:
            with _REGISTRY.log.open("a", encoding="utf-8") as log:
                log.write(json.dumps(execution.as_record(), default=str) + "\n")


def _write_result_file(execution: AthenaExecution) -> None:
    """Athena writes every result to the output location: a quoted CSV with a header for queries."""
    if not execution.output_location or execution.state != "SUCCEEDED":
        return
    bucket, _, key = execution.output_location.removeprefix("s3://").partition("/")
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    if execution.statement_type == "DDL":
        key = key.removesuffix(".csv") + ".txt"
        buffer.write("".join(f"{row[0] or ''}\n" for row in execution.rows))
    else:
        writer.writerow([column["Name"] for column in execution.columns])
        for row in execution.rows:
            buffer.write(",".join("" if value is None else _quoted(value) for value in row) + "\n")
    s3 = boto3.client(
        "s3",
        endpoint_url=_REGISTRY.endpoint,
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
        region_name="us-east-1",
    )
    s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue().encode("utf-8"))


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _run(execution: AthenaExecution) -> None:
    executor = _REGISTRY.executor
    assert executor is not None, "install_executing_athena() was not called"
    try:
        outcome: Outcome = executor.execute(
            execution.query, execution.database, execution.query_id, execution.output_location
        )
    except StatementFailed as exc:
        execution.state = "FAILED"
        execution.error = str(exc)
        execution.duckdb_sql = exc.duckdb_sql
    except Exception as exc:  # anything DuckDB or Glue raises is the query's failure, as on Athena
        execution.state = "FAILED"
        execution.error = f"GENERIC_INTERNAL_ERROR: {type(exc).__name__}: {exc}"
    else:
        execution.state = "SUCCEEDED"
        execution.statement_type = outcome.statement_type
        execution.substatement_type = outcome.substatement_type
        execution.columns = outcome.columns
        execution.rows = outcome.rows
        execution.update_count = outcome.update_count
        execution.duckdb_sql = outcome.duckdb_sql
    execution.completed = time.time()
    _write_result_file(execution)


def install_executing_athena(endpoint: str, statement_log: Path | None) -> None:
    """Patches moto's Athena in this process (the one the in-process server serves) to execute SQL."""
    from moto.athena.models import AthenaBackend
    from moto.athena.responses import AthenaResponse

    _REGISTRY.endpoint = endpoint
    _REGISTRY.log = statement_log
    _REGISTRY.executor = AthenaExecutor(endpoint)
    if getattr(AthenaBackend, "_sandbox_installed", False):
        return
    original_start = AthenaBackend.start_query_execution
    original_describe = AthenaResponse.get_query_execution

    def start_query_execution(
        self: AthenaBackend,
        query: str,
        context: Any,
        config: dict[str, Any],
        workgroup: str,
        execution_parameters: list[str] | None,
    ) -> str:
        query_id = original_start(self, query, context, config, workgroup, execution_parameters)
        database = context.get("Database") if isinstance(context, dict) else None
        output = (self.executions[query_id].config or {}).get("OutputLocation")
        execution = AthenaExecution(query_id=query_id, query=query, database=database, output_location=output)
        _run(execution)
        _record(execution)
        return query_id

    def get_query_execution(self: AthenaResponse) -> str:
        body = json.loads(original_describe(self))
        execution = _REGISTRY.executions.get(self._get_param("QueryExecutionId"))
        if execution is None:
            return json.dumps(body)
        described = body["QueryExecution"]
        described["StatementType"] = execution.statement_type
        if execution.substatement_type:
            described["SubstatementType"] = execution.substatement_type
        described["Status"]["State"] = execution.state
        described["Status"]["SubmissionDateTime"] = execution.submitted
        described["Status"]["CompletionDateTime"] = execution.completed
        if execution.error:
            described["Status"]["StateChangeReason"] = execution.error
            described["Status"]["AthenaError"] = {
                "ErrorCategory": 2,
                "ErrorType": 1006 if "TOO_MANY_OPEN_PARTITIONS" in execution.error else 1000,
                "Retryable": False,
                "ErrorMessage": execution.error,
            }
        elapsed = int(((execution.completed or execution.submitted) - execution.submitted) * 1000)
        described["Statistics"]["EngineExecutionTimeInMillis"] = elapsed
        described["Statistics"]["TotalExecutionTimeInMillis"] = elapsed
        return json.dumps(body)

    def get_query_results(self: AthenaResponse) -> str | tuple[str, dict[str, int]]:
        query_id = self._get_param("QueryExecutionId")
        execution = _REGISTRY.executions.get(query_id)
        if execution is None:
            return self.error(f"QueryExecution {query_id} was not found", 400)
        if execution.state != "SUCCEEDED":
            return self.error(f"Query has not yet finished. Current state: {execution.state}", 400)
        limit = min(int(self._get_param("MaxResults") or PAGE_LIMIT), PAGE_LIMIT)
        start = int(self._get_param("NextToken") or 0)
        header = (
            [] if execution.statement_type == "DDL" else [[column["Name"] for column in execution.columns]]
        )
        every_row = header + execution.rows
        page = every_row[start : start + limit]
        result: dict[str, Any] = {
            "ResultSet": {
                "Rows": [
                    {"Data": [{} if value is None else {"VarCharValue": value} for value in row]}
                    for row in page
                ],
                "ResultSetMetadata": {"ColumnInfo": execution.columns},
            },
        }
        if execution.update_count is not None:
            result["UpdateCount"] = execution.update_count
        if start + limit < len(every_row):
            result["NextToken"] = str(start + limit)
        return json.dumps(result)

    AthenaBackend.start_query_execution = start_query_execution  # type: ignore[method-assign]
    AthenaResponse.get_query_execution = get_query_execution  # type: ignore[method-assign]
    AthenaResponse.get_query_results = get_query_results  # type: ignore[method-assign,assignment]
    AthenaBackend._sandbox_installed = True  # type: ignore[attr-defined]
