"""The offline AWS sandbox (moto server in process, Athena executed on DuckDB) for tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import Sandbox, start_sandbox


@pytest.fixture(scope="session")
def aws_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the session; its Athena statements also go to ``athena-statements.jsonl``."""
    log = tmp_path_factory.mktemp("sandbox") / "athena-statements.jsonl"
    sandbox = start_sandbox(0, statement_log=log)
    try:
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
