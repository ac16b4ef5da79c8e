"""Runs SQL through the sandbox's Athena API, as any client does, and reads the result back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3


@dataclass
class AthenaResult:
    query_id: str
    state: str
    reason: str | None
    statement_type: str
    columns: list[dict[str, Any]]
    rows: list[tuple[str | None, ...]]  # without the header row queries carry

    @property
    def types(self) -> list[str]:
        return [column["Type"] for column in self.columns]


def run(sql: str, bucket: str, database: str = "default") -> AthenaResult:
    athena = boto3.client("athena")
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/athena-results/"},
    )["QueryExecutionId"]
    described = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    state = described["Status"]["State"]
    columns: list[dict[str, Any]] = []
    rows: list[tuple[str | None, ...]] = []
    if state == "SUCCEEDED":
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
            columns = columns or page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            rows += [
                tuple(datum.get("VarCharValue") for datum in row["Data"]) for row in page["ResultSet"]["Rows"]
            ]
        if described["StatementType"] != "DDL":
            rows = rows[1:]
    return AthenaResult(
        query_id,
        state,
        described["Status"].get("StateChangeReason"),
        described["StatementType"],
        columns,
        rows,
    )


def ok(sql: str, bucket: str, database: str = "default") -> AthenaResult:
    result = run(sql, bucket, database)
    assert result.state == "SUCCEEDED", result.reason
    return result
