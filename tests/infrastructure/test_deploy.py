"""``lakehouse deploy`` / ``destroy`` against a moto server standing in for the account.

moto's CloudFormation creates IAM roles, Lambda functions, log groups, permissions, state machines,
buckets, queues, the topic, the event rule and the KMS key. It does not implement Glue jobs, databases
and connections, Athena workgroups, Transfer Family, EventBridge Scheduler, CloudWatch alarms,
Secrets Manager secrets, bucket and topic policies, Lambda event-invoke configs or QuickSight: the
deploy sets ``Sandbox=true`` there, which leaves exactly those out (``template.SANDBOX_OMITTED``), and
puts the bucket's notifications on directly (moto's bucket ignores NotificationConfiguration).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from typer.testing import CliRunner

from orchestration.cli import app
from tests.infrastructure.conftest import PARTNERS
from tests.support.moto import aws_environment, moto_endpoint  # noqa: F401 - fixtures

STACK = "lakehouse-sandbox"
DAY = "2025-03-10"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture
def partners_file(tmp_path: Path) -> Path:
    path = tmp_path / "partners.yml"
    path.write_text("\n".join(f"{name}:\n" + "".join(f"  - {key}\n" for key in keys) for name, keys in PARTNERS.items()))
    return path


@pytest.fixture
def lake_bucket(request: pytest.FixtureRequest) -> str:
    """A bucket per test: destroy keeps the lake bucket (DeletionPolicy Retain), so a name is used once."""
    global LAKE
    LAKE = f"lake-{request.node.name[5:40].replace('_', '-')}"
    return LAKE


LAKE = ""


def deploy(*arguments: str) -> Any:
    return CliRunner().invoke(app, ["deploy", "--stack", STACK, "--bucket", LAKE, *arguments])


@pytest.fixture
def deployed(aws_environment: str, partners_file: Path, lake_bucket: str) -> Iterator[dict[str, str]]:  # noqa: F811
    result = deploy("--partners", str(partners_file))
    assert result.exit_code == 0, result.output
    assert f"stack {STACK}: created" in result.output
    (stack,) = boto3.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    yield {item["OutputKey"]: item["OutputValue"] for item in stack["Outputs"]}
    destroyed = CliRunner().invoke(app, ["destroy", "--stack", STACK])
    assert destroyed.exit_code == 0, destroyed.output
    assert f"stack {STACK}: deleted" in destroyed.output
    boto3.client("s3").head_bucket(Bucket=lake_bucket)  # the lake and its data outlive the stack


def test_deploy_reaches_create_complete_and_a_second_deploy_is_a_no_op(deployed: dict[str, str], partners_file: Path) -> None:
    cloudformation = boto3.client("cloudformation")
    assert cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    functions = {f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]}
    assert {deployed[key] for key in deployed if key.endswith("Function")} <= functions
    stepfunctions = boto3.client("stepfunctions")
    workflows = [deployed[key] for key in deployed if key.endswith("WorkflowArn")]
    assert workflows and all(stepfunctions.describe_state_machine(stateMachineArn=arn)["status"] == "ACTIVE" for arn in workflows)
    again = deploy("--partners", str(partners_file))
    assert again.exit_code == 0, again.output
    assert f"stack {STACK}: unchanged" in again.output
    (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE" and "LastUpdatedTime" not in stack


def test_a_changed_deploy_updates_the_stack(deployed: dict[str, str], tmp_path: Path) -> None:
    fewer = tmp_path / "fewer.yml"
    fewer.write_text("acme:\n  - " + PARTNERS["acme"][0] + "\n")
    result = deploy("--partners", str(fewer), "--parameter", "AlertEmail=ops@example.com")
    assert result.exit_code == 0, result.output
    assert f"stack {STACK}: updated" in result.output


def test_the_deployed_functions_are_wired_to_the_bucket_and_their_workflows(deployed: dict[str, str]) -> None:
    notifications = boto3.client("s3").get_bucket_notification_configuration(Bucket=LAKE)["LambdaFunctionConfigurations"]
    prefixes = {item["Filter"]["Key"]["FilterRules"][0]["Value"]: item["LambdaFunctionArn"].rsplit(":", 1)[1] for item in notifications}
    assert prefixes == {
        "landing/sftp/": deployed["PartnerCsvLandedFunction"],
        "landing/positional/": deployed["PositionalToParquetFunction"],
        "landing/client_health/": deployed["ClientFilesLandedFunction"],
    }
    environment = boto3.client("lambda").get_function_configuration(FunctionName=deployed["PositionalToParquetFunction"])["Environment"]["Variables"]
    assert json.loads(environment["LAKEHOUSE_STATE_MACHINES"]) == {"positional-day": deployed["PositionalDayWorkflowArn"]}
    assert environment["LAKEHOUSE_REGION"] == "us-east-1"
    assert environment["LAKEHOUSE_BUCKET"] == LAKE


def test_a_partners_file_with_a_bad_key_is_a_usage_error(aws_environment: str, tmp_path: Path, lake_bucket: str) -> None:  # noqa: F811
    bad = tmp_path / "bad.yml"
    bad.write_text("acme:\n  - ssh-ed25519\n")
    result = deploy("--partners", str(bad))
    assert result.exit_code == 2
    assert "partner acme, key 1" in result.output


@pytest.fixture
def executing_state_machines(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:  # noqa: F811
    """Switches moto's Step Functions to executing definitions. moto keeps executable state machines in a
    separate backend that its CloudFormation does not create into, so each deployed definition is
    registered there under its deployed name (hence the same ARN) exactly as the stack declared it."""

    def configure(execute: bool) -> None:
        requests.post(f"{moto_endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": execute}}, timeout=10)

    def executable(arn: str) -> None:
        sfn = boto3.client("stepfunctions")
        configure(False)
        deployed = sfn.describe_state_machine(stateMachineArn=arn)
        configure(True)
        sfn.create_state_machine(name=deployed["name"], definition=deployed["definition"], roleArn=deployed["roleArn"])

    # The interpreter calls service integrations (Glue, SNS) on localhost:MOTO_PORT.
    monkeypatch.setenv("MOTO_PORT", moto_endpoint.rsplit(":", 1)[1])
    yield executable
    configure(False)


def test_the_end_of_day_schedule_starts_one_execution_that_the_sandbox_runs(
    deployed: dict[str, str], executing_state_machines: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schedule's input, handed to the deployed function's handler with the deployed environment,
    twice (Scheduler delivers at least once): one execution, named by the day, run by moto's Step
    Functions interpreter. The sandbox has no Glue jobs (moto's CloudFormation creates none), so the
    first step fails and the path shows the failure branch: DbtBuild -> NotifyFailure -> Failed."""
    from lambdas.start_day_workflow.handler import handler

    lambdas, sfn = boto3.client("lambda"), boto3.client("stepfunctions")
    environment = lambdas.get_function_configuration(FunctionName=deployed["StartDayWorkflowFunction"])["Environment"]["Variables"]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    executing_state_machines(deployed["EndOfDayWorkflowArn"])
    event = {"job": "end-of-day", "time": "2025-03-11T02:00:00Z"}  # 23:00 on the 10th in Sao Paulo
    first, second = handler(event, None), handler(event, None)
    assert first["day"] == DAY and first["run_id"] == second["run_id"]
    executions = sfn.list_executions(stateMachineArn=deployed["EndOfDayWorkflowArn"])["executions"]
    assert [item["name"] for item in executions] == [f"end-of-day-{DAY}"]
    arn = executions[0]["executionArn"]
    for _ in range(100):
        status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            break
        time.sleep(0.2)
    history = sfn.get_execution_history(executionArn=arn)["events"]
    entered = [event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event]
    assert entered == ["DbtBuild", "NotifyFailure", "Failed"]
    assert status == "FAILED"


def test_the_gated_workflows_start_once_per_day_and_run_in_the_sandbox(
    deployed: dict[str, str], executing_state_machines: Any
) -> None:
    """The launcher the gates use (StateMachineLauncher, built as the deployed functions' environment
    configures it) starts each gated workflow twice for a day: one execution, run by moto."""
    from core.launchers import StateMachineLauncher

    sfn = boto3.client("stepfunctions")
    machines = {"positional-day": deployed["PositionalDayWorkflowArn"], "client-health-to-bronze": deployed["ClientHealthDayWorkflowArn"]}
    first_steps = {"positional-day": "PositionalDay", "client-health-to-bronze": "ClientHealthToBronze"}
    for arn in machines.values():
        executing_state_machines(arn)

    class NoGlue:
        def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
            raise AssertionError(f"{job_name} must start as its workflow, not as a bare job")

    launcher = StateMachineLauncher(sfn, machines, NoGlue())
    for job, arn in machines.items():
        arguments = {"--lake_uri": f"s3://{LAKE}", "--day": DAY, "--ingested_at": f"{DAY}T12:00:00Z"}
        assert launcher.start_job_run(job, arguments) == launcher.start_job_run(job, arguments)
        (execution,) = sfn.list_executions(stateMachineArn=arn)["executions"]
        assert execution["name"] == f"{job}-{DAY}"
        for _ in range(100):
            if sfn.describe_execution(executionArn=execution["executionArn"])["status"] != "RUNNING":
                break
            time.sleep(0.2)
        history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        entered = [event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event]
        assert entered == [first_steps[job], "NotifyFailure", "Failed"]
