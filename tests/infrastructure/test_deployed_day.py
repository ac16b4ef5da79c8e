"""The deployed stack drives a whole day in the sandbox and ends in the local run's gold.

Nothing here calls a handler, a Glue script or dbt: the test deploys the stack (`lakehouse deploy`),
completes it with what moto's CloudFormation cannot create (``sandbox.stack.complete_stack``: Glue jobs,
workgroups, the pseudonym key secret, schedules, from the template), uploads the day's landing files to
the lake bucket, fires the template's schedules, and reads gold through Athena. The sandbox does the
rest as AWS would: each upload's bucket notification invokes the deployed function (its handler, run in
process with the function's environment), the gates start the deployed state machines, moto's
interpreter executes their definitions, whose ``glue:startJobRun.sync`` tasks run the deployed Glue
scripts on local Spark with the job's DefaultArguments, dbt builds on the sandbox's Athena, the
publication step switches gold.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from core.calendar import today_in_sao_paulo
from ingestion.aurora.extract import demo_database_path
from orchestration.cli import app
from sandbox import Sandbox
from sandbox.lake import upload_folders
from sandbox.stack import Completion, complete_stack, fire_schedule
from tests.support.fake_opensearch import FakeOpenSearch, running_fake_opensearch
from tests.support.mariadb import mariadb_server, mariadb_url  # noqa: F401 - fixtures
from tests.support.sandbox import query_as_text

STACK = "lakehouse-day"
BUCKET = "deployed-day-lake"
# The Aurora schedule passes no day: its job extracts "today" in Sao Paulo, so the day driven is today.
DAY = today_in_sao_paulo().isoformat()
END_OF_DAY_TIME = (dt.datetime.fromisoformat(DAY) + dt.timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
GOLD_TABLES = {
    "salary_averages": "ano, mes, idade, ativo",
    "contract_plans": "numero_contrato",
    "client_health": "id",
    "seller_contracts": "1, 2",  # not a total order
}
OPENSEARCH_PASSWORD = "deployed-os-Pa55"
runner = CliRunner()


@pytest.fixture
def opensearch() -> Iterator[FakeOpenSearch]:
    with running_fake_opensearch("publisher", OPENSEARCH_PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def environment(aws_sandbox: Sandbox) -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in aws_sandbox.environment().items():
            patch.setenv(name, value)
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "MOTO_PORT", "LAKEHOUSE_BACKEND", "LAKEHOUSE_BUCKET"):
            patch.delenv(name, raising=False)
        yield patch


@pytest.fixture(scope="module")
def deployed(environment: pytest.MonkeyPatch) -> tuple[dict[str, str], Completion]:
    result = runner.invoke(app, ["deploy", "--stack", STACK, "--bucket", BUCKET])
    assert result.exit_code == 0, result.output
    (stack,) = boto3.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stack["Outputs"]}
    completion = complete_stack(STACK)
    assert complete_stack(STACK) == completion  # the sandbox step is idempotent
    return outputs, completion




def _wait(describe: Any, done: Any, what: str, seconds: float = 900) -> Any:
    """Polls until ``done(described)``; the bound only stops a hung run, no duration is asserted."""
    deadline = time.monotonic() + seconds
    while True:
        described = describe()
        if done(described):
            return described
        assert time.monotonic() < deadline, f"{what} still running: {described}"
        time.sleep(1)


def _job_runs(glue: Any, jobs: tuple[str, ...]) -> list[dict[str, Any]]:
    return [run for job in jobs for run in glue.get_job_runs(JobName=job)["JobRuns"]]


def _executions(sfn: Any, arn: str) -> list[dict[str, Any]]:
    return list(sfn.list_executions(stateMachineArn=arn)["executions"])


def _finished(sfn: Any, arn: str) -> dict[str, Any]:
    return dict(_wait(lambda: sfn.describe_execution(executionArn=arn), lambda d: d["status"] != "RUNNING", arn))


def _failure(sfn: Any, arn: str) -> str:
    history = sfn.get_execution_history(executionArn=arn)["events"]
    return json.dumps([event for event in history if "Failed" in event["type"]], default=str)[:4000]


GLUE_SCRIPT = b"""
import sys


def main(argv):
    print("ran with", argv[1:])
    if "--fail" in argv:
        sys.exit(2)
"""


def test_a_glue_sync_task_runs_the_job_script_and_reports_its_outcome(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """moto's interpreter starts the run and polls it; the sandbox runs the job's ScriptLocation with
    Glue's argv (its default arguments, then the run's); SUCCEEDED goes on, FAILED is the task's error."""
    s3, glue, sfn = boto3.client("s3"), boto3.client("glue"), boto3.client("stepfunctions")
    s3.create_bucket(Bucket="glue-sync-scripts")
    s3.put_object(Bucket="glue-sync-scripts", Key="job.py", Body=GLUE_SCRIPT)
    glue.create_job(
        Name="sync-probe",
        Role="arn:aws:iam::123456789012:role/probe",
        Command={"Name": "glueetl", "ScriptLocation": "s3://glue-sync-scripts/job.py"},
        DefaultArguments={"--lake_uri": "s3://somewhere"},
    )
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": "sync-probe", "Arguments": {"--day.$": "$.day"}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
        "End": True,
    }
    definition = {"StartAt": "Run", "States": {"Run": task, "Failed": {"Type": "Fail", "Error": "JobFailed"}}}
    machine = sfn.create_state_machine(
        name="glue-sync-probe", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/probe"
    )["stateMachineArn"]
    outcomes = {}
    for day in ("2025-03-10", "--fail"):
        started = sfn.start_execution(stateMachineArn=machine, name=f"probe{len(outcomes)}", input=json.dumps({"day": day}))
        outcomes[day] = _finished(sfn, started["executionArn"])
    assert outcomes["2025-03-10"]["status"] == "SUCCEEDED"
    assert json.loads(outcomes["2025-03-10"]["output"])["JobRunState"] == "SUCCEEDED"
    assert outcomes["--fail"]["status"] == "FAILED"
    runs = {run["Arguments"]["--day"]: run for run in glue.get_job_runs(JobName="sync-probe")["JobRuns"]}
    assert runs["--fail"]["JobRunState"] == "FAILED" and runs["--fail"]["ErrorMessage"] == "the script exited 2"
    assert "ran with ['--JOB_ID', 'j_sync-probe', '--JOB_RUN_ID'" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.spark
def test_the_deployed_stack_drives_the_day_to_the_local_gold(
    deployed: tuple[dict[str, str], Completion],
    environment: pytest.MonkeyPatch,
    tmp_path: Path,
    mariadb_url: str,  # noqa: F811
    opensearch: FakeOpenSearch,
) -> None:
    outputs, completion = deployed
    glue, sfn, s3 = boto3.client("glue"), boto3.client("stepfunctions"), boto3.client("s3")
    assert set(completion.glue_jobs) <= {job["Name"] for job in glue.get_jobs()["Jobs"]}
    (key_secret,) = completion.secrets
    key = boto3.client("secretsmanager").get_secret_value(SecretId=key_secret)["SecretString"]

    # The reference: the local run of the same inputs, with the stack's pseudonym key.
    local = tmp_path / "local"
    with pytest.MonkeyPatch.context() as local_only:
        for name in ("AWS_ENDPOINT_URL",):
            local_only.delenv(name, raising=False)
        local_only.setenv("LAKEHOUSE_PSEUDONYM_KEY", key)
        local_only.setenv("LAKEHOUSE_MYSQL_URL", mariadb_url)
        demo = runner.invoke(app, ["demo", "--lake", str(local), "--date", DAY, "--rows", "60"])
    assert demo.exit_code == 0, demo.output

    # The operator's secrets (the template names them): Aurora (the demo's database) and MySQL.
    secretsmanager = boto3.client("secretsmanager")
    secretsmanager.create_secret(Name="lakehouse/aurora", SecretString=f"sqlite:///{demo_database_path(local)}")
    secretsmanager.create_secret(Name="lakehouse/mysql", SecretString=mariadb_url)
    connection = {"url": opensearch.url, "username": "publisher", "password": OPENSEARCH_PASSWORD}
    secretsmanager.create_secret(Name="lakehouse/opensearch", SecretString=json.dumps(connection))
    # The day's deliveries: every landing upload is a bucket notification to a deployed function.
    assert upload_folders(local, ["landing"], BUCKET, s3) > 0
    (aurora_schedule,) = [name for name in completion.schedules if "aurora" in name]
    fire_schedule(aurora_schedule, f"{DAY}T06:00:00Z")

    # The gates started the gated workflows, once each; the handlers and the schedule started jobs.
    gated = {"PositionalDayWorkflowArn": "positional-day", "ClientHealthDayWorkflowArn": "client-health-to-bronze"}
    for output, key_name in gated.items():
        executions = _wait(lambda o=output: _executions(sfn, outputs[o]), bool, output)
        assert [item["name"] for item in executions] == [f"{key_name}-{DAY}"]
        finished = _finished(sfn, executions[0]["executionArn"])
        assert finished["status"] == "SUCCEEDED", _failure(sfn, executions[0]["executionArn"])
    runs = _wait(
        lambda: _job_runs(glue, completion.glue_jobs), lambda found: all(r["JobRunState"] in {"SUCCEEDED", "FAILED"} for r in found), "jobs"
    )
    assert [r for r in runs if r["JobRunState"] != "SUCCEEDED"] == []
    assert {"aurora-extract", "partner-csv-to-bronze"} <= {run["JobName"] for run in runs}

    # 23:00 in Sao Paulo: the end-of-day schedule fires, and is delivered twice (at least once).
    (end_of_day,) = [name for name in completion.schedules if name.endswith("-daily-run")]
    fire_schedule(end_of_day, END_OF_DAY_TIME)
    fire_schedule(end_of_day, END_OF_DAY_TIME)
    executions = _executions(sfn, outputs["EndOfDayWorkflowArn"])
    assert [item["name"] for item in executions] == [f"end-of-day-{DAY}"]
    finished = _finished(sfn, executions[0]["executionArn"])
    assert finished["status"] == "SUCCEEDED", _failure(sfn, executions[0]["executionArn"])
    # A start after the day's execution ended is refused by its name, and changes nothing.
    fire_schedule(end_of_day, END_OF_DAY_TIME)
    assert [item["name"] for item in _executions(sfn, outputs["EndOfDayWorkflowArn"])] == [f"end-of-day-{DAY}"]

    # Gold through Athena equals gold of the local run, row for row.
    aws = ["--backend", "aws", "--bucket", BUCKET]
    for table, order in GOLD_TABLES.items():
        columns, expected = query_as_text(["--lake", str(local)], f"select * from gold.{table} order by {order}")
        assert expected, table
        aws_columns, found = query_as_text(aws, f"select {', '.join(columns)} from gold.{table} order by {order}")
        assert aws_columns == columns, table
        assert sorted(found, key=repr) == sorted(expected, key=repr), table
        if table != "seller_contracts":
            assert found == expected, table

    # The deployed jobs fed OpenSearch from gold: the secret alone named the endpoint.
    _, plans = query_as_text(["--lake", str(local)], "select numero_contrato from gold.contract_plans")
    indexed = opensearch.indices["contract_plans"].documents.values()
    assert sorted(document.source["numero_contrato"] for document in indexed) == sorted(row[0] for row in plans)
