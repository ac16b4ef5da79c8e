"""Every `lakehouse` command takes `--backend aws --bucket B`; those that cannot apply on AWS say so and
exit 2 (a usage error), naming what stands for them there, without a traceback."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from typer.testing import CliRunner

from core.storage import S3ObjectStore
from orchestration.cli import app
from serving.dashboard import DASHBOARD_KEY
from serving.dashboard.server import dashboard_server

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


def test_the_dashboard_of_a_bucket_is_served_from_s3(bucket: str, s3: Any) -> None:
    missing = runner.invoke(app, ["dashboard", "--backend", "aws", "--bucket", bucket, "--port", "0"])
    assert missing.exit_code == 1, missing.output
    assert f"no dashboard at s3://{bucket}/{DASHBOARD_KEY}" in missing.output

    # The server serves whatever page the run wrote; a small one stands in.
    s3.put_object(Bucket=bucket, Key=DASHBOARD_KEY, Body=b"<!DOCTYPE html><title>painel</title>")
    server = dashboard_server(S3ObjectStore(bucket, s3), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with urllib.request.urlopen(f"{base}/") as response:
            assert response.read() == b"<!DOCTYPE html><title>painel</title>"
        s3.put_object(Bucket=bucket, Key=DASHBOARD_KEY, Body=b"<!DOCTYPE html><title>novo</title>")
        with urllib.request.urlopen(f"{base}/dashboard.html") as response:  # read afresh on every request
            assert response.read() == b"<!DOCTYPE html><title>novo</title>"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/reports/run-2025-03-10.json")
        assert refused.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
