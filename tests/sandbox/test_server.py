"""`lakehouse sandbox`: the AWS APIs on 127.0.0.1, the environment to use them, Step Functions executing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3

from sandbox import Sandbox
from tests.sandbox.athena_client import ok
from tests.support.moto import free_port

REPO = Path(__file__).resolve().parents[2]


def test_the_environment_points_clients_at_the_sandbox(aws_sandbox: Sandbox) -> None:
    environment = aws_sandbox.environment()
    assert environment["AWS_ENDPOINT_URL"] == aws_sandbox.endpoint
    assert aws_sandbox.endpoint.startswith("http://127.0.0.1:")
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(environment)
    sts = boto3.client(
        "sts",
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        region_name=environment["AWS_DEFAULT_REGION"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_step_functions_definitions_execute(sandbox_environment: Sandbox) -> None:
    sfn = boto3.client("stepfunctions")
    definition = {
        "StartAt": "Say",
        "States": {"Say": {"Type": "Pass", "Result": {"said": "hi"}, "End": True}},
    }
    machine = sfn.create_state_machine(
        name="sandbox-pass",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sandbox",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="2025-04-02")["executionArn"]
    for _attempt in range(100):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"said": "hi"}


def test_a_reset_empties_the_account_and_the_statement_history(sandbox_environment: Sandbox) -> None:
    boto3.client("s3").create_bucket(Bucket="reset-me")
    boto3.client("glue").create_database(DatabaseInput={"Name": "reset_me"})
    assert ok("select 1", "reset-me").rows
    assert sandbox_environment.executions()

    sandbox_environment.reset()

    assert sandbox_environment.executions() == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("glue").get_databases()["DatabaseList"] == []
    # Step Functions definitions still execute after the reset.
    test_step_functions_definitions_execute(sandbox_environment)


def test_lakehouse_sandbox_prints_its_environment_and_serves(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "sandbox", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n" in lines
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )
        s3.create_bucket(Bucket="from-the-cli")
        assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == ["from-the-cli"]
    finally:
        process.terminate()
        process.wait(timeout=30)
