"""The offline AWS sandbox (moto server in process, Athena executed on DuckDB) for tests."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from sandbox import Sandbox, start_sandbox

_WHOLE_SECONDS = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\.0+$")


@pytest.fixture(scope="module")
def aws_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox for each module, its account empty at the start (modules build lakes under the same Glue
    names, and the moto servers of one process share one account); its Athena statements also go to
    ``athena-statements.jsonl``."""
    sandbox = start_sandbox(0, statement_log=tmp_path_factory.mktemp("sandbox") / "athena-statements.jsonl")
    try:
        sandbox.reset()
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def sandbox_environment(aws_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Points boto3, awswrangler and dbt-athena (in this process and its children) at the sandbox."""
    for name, value in aws_sandbox.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return aws_sandbox


@dataclass(frozen=True)
class SandboxLake:
    """A bucket of the sandbox a module builds its history in, and the clients to inspect it."""

    bucket: str
    s3: Any
    glue: Any


@contextlib.contextmanager
def sandbox_lake(sandbox: Sandbox, bucket: str, variables: Mapping[str, str] | None = None) -> Iterator[SandboxLake]:
    """What a module building days on the sandbox (``*_days_on_sandbox``) starts from, for a module-scoped
    fixture: boto3, awswrangler and dbt-athena pointed at ``sandbox`` (plus ``variables``, e.g. Settings'
    LAKEHOUSE_*), ``bucket`` created, and the Glue databases the builds write (``silver``, ``gold_build``).
    The environment is restored on exit."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**sandbox.environment(), **(variables or {})}.items():
            patch.setenv(name, value)
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        s3, glue = boto3.client("s3"), boto3.client("glue")
        s3.create_bucket(Bucket=bucket)
        for database in ("silver", "gold_build"):
            with contextlib.suppress(glue.exceptions.AlreadyExistsException):
                glue.create_database(DatabaseInput={"Name": database})
        yield SandboxLake(bucket, s3, glue)


def _as_athena_text(value: Any) -> str | None:
    """Athena returns every value as text (a timestamp with its milliseconds, where DuckDB's Python
    value drops them when they are zero): both backends' rows are compared as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return _WHOLE_SECONDS.sub(r"\1", str(value))


def query_as_text(arguments: list[str], sql: str) -> tuple[list[str], list[list[str | None]]]:
    """``lakehouse query`` on either backend (``arguments`` choose it): the columns and the rows as text."""
    result = CliRunner().invoke(app, ["query", *arguments, "--format", "json", sql])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    return (list(rows[0]) if rows else []), [[_as_athena_text(value) for value in row.values()] for row in rows]
