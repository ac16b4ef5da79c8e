"""Every `lakehouse` command takes `--backend aws --bucket B`; those that cannot apply on AWS say so and
exit 2 (a usage error), naming what stands for them there, without a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

runner = CliRunner()
AWS = ["--backend", "aws", "--bucket", "a-lake"]


@pytest.mark.parametrize(
    ("command", "on_aws"),
    [("serve", "S3 notifications, EventBridge Scheduler and Step Functions"), ("sftp", "Transfer Family")],
)
def test_local_only_commands_refuse_the_aws_backend_with_a_usage_error(
    command: str, on_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, [command, *AWS])
    assert result.exit_code == 2, result.output
    assert f"`lakehouse {command}` runs on the local backend only" in result.output
    assert on_aws in result.output
    assert isinstance(result.exception, SystemExit)  # typer's exit, not a crash

    monkeypatch.setenv("LAKEHOUSE_BACKEND", "aws")  # the environment selects the backend the same way
    monkeypatch.setenv("LAKEHOUSE_BUCKET", "a-lake")
    assert runner.invoke(app, [command]).exit_code == 2


@pytest.mark.parametrize("command", ["run", "demo", "query", "dashboard", "docs", "sla-check", "serve", "sftp"])
def test_the_aws_backend_without_a_bucket_is_a_usage_error(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKEHOUSE_BUCKET", raising=False)
    arguments = [command, "--backend", "aws", *(["select 1"] if command == "query" else [])]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2, result.output
    assert "needs a bucket" in result.output
