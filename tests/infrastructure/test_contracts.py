"""Contracts read from the template itself.

1. Every Glue job gets, from each of its launchers, every option its entry point requires: the
   partner-CSV Lambda (its landing code run on a real upload, recording the start), the positional and
   client-health gates (their code run on a real day, through the state-machine launcher, into the
   state machine's definition), the end-of-day schedule and the Aurora schedule. The required names are
   read from the entry points (``OPTIONS`` / ``REQUIRED`` tuples), never restated here.
2. No IAM statement grants ``*`` actions, and ``Resource: "*"`` only for actions AWS cannot scope.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from core.gate import LocalDayGate
from core.launchers import StateMachineLauncher
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.client_health.landing import handle_arrival
from ingestion.client_health.sample_data import write_client_health_day
from ingestion.partner_csv.landing import handle_upload
from ingestion.partner_csv.sample_data import write_partner_day
from ingestion.positional.sample_data import write_sample_day
from ingestion.positional.service import PositionalServices, handle_landed_file
from orchestration.aws.components import Components
from orchestration.aws.iam import FORCED_WILDCARDS
from orchestration.aws.package import REPO_ROOT
from tests.infrastructure.conftest import resources_of
from tests.infrastructure.policy import resolver

DAY = "2025-03-10"
LAKE_URI = "s3://lake"


def required_options(script: str) -> set[str]:
    """The names in the entry point's module-level ``OPTIONS`` or ``REQUIRED`` tuple."""
    tree = ast.parse((REPO_ROOT / script).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in {"OPTIONS", "REQUIRED"} for t in node.targets):
            return {str(ast.literal_eval(element)) for element in node.value.elts}  # type: ignore[attr-defined]
    raise AssertionError(f"{script} declares no OPTIONS or REQUIRED tuple")


def job_resource(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(body["Properties"] for body in resources_of(document, "AWS::Glue::Job").values() if body["Properties"]["Name"] == name)


def default_options(document: dict[str, Any], name: str) -> set[str]:
    return {key.removeprefix("--") for key in job_resource(document, name)["DefaultArguments"]}


def script_of(document: dict[str, Any], name: str) -> str:
    location = job_resource(document, name)["Command"]["ScriptLocation"]["Fn::Sub"]
    return location.split("${ArtifactPrefix}/", 1)[1]


class RecordingGlue:
    def __init__(self) -> None:
        self.runs: list[tuple[str, dict[str, str]]] = []

    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
        self.runs.append((job_name, dict(arguments)))
        return f"jr_{len(self.runs)}"


class RecordingStepFunctions:
    class exceptions:
        class ExecutionAlreadyExists(Exception):
            pass

    def __init__(self) -> None:
        self.executions: dict[str, dict[str, Any]] = {}

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, str]:
        if name in self.executions:
            raise self.exceptions.ExecutionAlreadyExists(name)
        self.executions[name] = {"arn": stateMachineArn, "input": json.loads(input)}
        return {"executionArn": f"{stateMachineArn}:{name}"}


def state_machines_of(document: dict[str, Any], function: str) -> dict[str, str]:
    """The function's LAKEHOUSE_STATE_MACHINES as the template sets it: job name -> state machine logical id."""
    text = document["Resources"][function]["Properties"]["Environment"]["Variables"]["LAKEHOUSE_STATE_MACHINES"]["Fn::Sub"]
    return {key: value.removeprefix("${").removesuffix("}") for key, value in json.loads(text).items()}


def definition_of(document: dict[str, Any], logical_id: str) -> dict[str, Any]:
    resolved = resolver(document).resolve(document["Resources"][logical_id]["Properties"]["DefinitionString"])
    return json.loads(resolved)


def glue_tasks(definition: dict[str, Any]) -> list[dict[str, Any]]:
    tasks = []
    for state in definition["States"].values():
        for branch in state.get("Branches", []):
            tasks.extend(glue_tasks(branch))
        if state.get("Resource", "").startswith("arn:aws:states:::glue:startJobRun"):
            tasks.append(state["Parameters"])
    return tasks


def input_paths(definition: dict[str, Any]) -> set[str]:
    text = json.dumps([task["Arguments"] for task in glue_tasks(definition)])
    return set(re.findall(r'"\$\.(\w+)"', text))


def assert_workflow_covers_its_jobs(document: dict[str, Any], logical_id: str, given: set[str]) -> None:
    definition = definition_of(document, logical_id)
    assert input_paths(definition) <= given, (logical_id, input_paths(definition), given)
    for task in glue_tasks(definition):
        passed = {key.removeprefix("--").removesuffix(".$") for key in task["Arguments"]}
        required = required_options(script_of(document, task["JobName"]))
        missing = required - passed - default_options(document, task["JobName"])
        assert not missing, f"{logical_id} starts {task['JobName']} without {sorted(missing)}"


def test_the_partner_csv_lambda_starts_its_job_with_every_required_option(tmp_path: Path, document: dict[str, Any]) -> None:
    settings = Settings()
    (path, *_rest) = write_partner_day(tmp_path / "landing", dt.date.fromisoformat(DAY), 20)
    store = LocalObjectStore(tmp_path)
    key = path.relative_to(tmp_path).as_posix()
    glue = RecordingGlue()
    info = store.head(key)
    handle_upload(store, glue, lake_uri=LAKE_URI, job_name=settings.glue_job_partner_csv, key=key, size=info.size, etag=info.etag, event_time=f"{DAY}T12:00:00Z")
    ((job, arguments),) = glue.runs
    assert job == settings.glue_job_partner_csv
    required = required_options(script_of(document, job))
    assert required - {name.removeprefix("--") for name in arguments} - default_options(document, job) == set()


def test_the_positional_gate_starts_a_workflow_whose_jobs_get_every_required_option(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    settings = Settings()
    machines = state_machines_of(document, "PositionalToParquet")
    sfn, glue = RecordingStepFunctions(), RecordingGlue()
    store = LocalObjectStore(tmp_path)
    services = PositionalServices(
        store=store,
        gate=LocalDayGate(tmp_path),
        launcher=StateMachineLauncher(sfn, {job: f"arn:{logical}" for job, logical in machines.items()}, glue),
        job_name=settings.glue_job_positional,
    )
    for key in write_sample_day(store, DAY, 30, 7):
        handle_landed_file(services, key)
        handle_landed_file(services, key)  # a duplicate event starts nothing more
    assert glue.runs == []
    (execution,) = sfn.executions.items()
    assert execution[0] == f"{settings.glue_job_positional}-{DAY}"
    assert_workflow_covers_its_jobs(document, execution[1]["arn"].removeprefix("arn:"), set(execution[1]["input"]))


@pytest.mark.filterwarnings("ignore")
def test_the_client_health_gate_starts_a_workflow_whose_jobs_get_every_required_option(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    settings = Settings()
    machines = state_machines_of(document, "ClientFilesLanded")
    sfn, glue = RecordingStepFunctions(), RecordingGlue()
    store = LocalObjectStore(tmp_path)
    launcher = StateMachineLauncher(sfn, {job: f"arn:{logical}" for job, logical in machines.items()}, glue)
    for path in write_client_health_day(tmp_path / "landing", dt.date.fromisoformat(DAY), 50):
        key = path.relative_to(tmp_path).as_posix()
        info = store.head(key)
        handle_arrival(
            store, LocalDayGate(tmp_path), launcher, lake_uri=LAKE_URI, job_name=settings.glue_job_client_health,
            key=key, size=info.size, etag=info.etag, event_time=f"{DAY}T12:00:00Z",
        )  # fmt: skip
    (execution,) = sfn.executions.items()
    assert execution[0] == f"{settings.glue_job_client_health}-{DAY}"
    assert_workflow_covers_its_jobs(document, execution[1]["arn"].removeprefix("arn:"), set(execution[1]["input"]))


def test_the_end_of_day_schedule_starts_a_workflow_whose_jobs_get_every_required_option(
    document: dict[str, Any], components: Components
) -> None:
    target = next(item for item in components.schedules if item.workflow)
    schedule = next(
        body["Properties"]["Target"] for body in resources_of(document, "AWS::Scheduler::Schedule").values()
        if body["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [target.function, "Arn"]} and "job" in body["Properties"]["Target"]["Input"]
    )  # fmt: skip
    assert json.loads(schedule["Input"])["job"] == target.workflow
    machines = state_machines_of(document, str(target.function))
    # The function starts the workflow with {"--day": ...} (lambdas/start_day_workflow), i.e. input {"day"}.
    assert_workflow_covers_its_jobs(document, machines[str(target.workflow)], {"day"})


def test_a_scheduled_glue_job_gets_every_required_option_from_its_defaults(document: dict[str, Any]) -> None:
    for body in resources_of(document, "AWS::Scheduler::Schedule").values():
        target = body["Properties"]["Target"]
        if target["Arn"] != "arn:aws:scheduler:::aws-sdk:glue:startJobRun":
            continue
        request = json.loads(target["Input"])
        passed = {key.removeprefix("--") for key in request.get("Arguments", {})}
        job = request["JobName"]
        assert required_options(script_of(document, job)) - passed - default_options(document, job) == set()


def _statements(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    resolve = resolver(document, SubnetIds=["subnet-1"], SecurityGroupIds=["sg-1"]).resolve
    found = []
    for name, body in resources_of(document, "AWS::IAM::Role").items():
        for policy in resolve(body["Properties"])["Policies"]:
            found.extend((name, statement) for statement in policy["PolicyDocument"]["Statement"])
    return found


def test_no_statement_grants_every_action_or_a_whole_service(document: dict[str, Any]) -> None:
    for role, statement in _statements(document):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(action != "*" and not action.endswith(":*") for action in actions), (role, actions)


def test_resource_star_only_where_aws_offers_no_narrower_resource(document: dict[str, Any]) -> None:
    starred = set()
    for role, statement in _statements(document):
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if "*" in resources:
            assert set(statement["Action"]) <= FORCED_WILDCARDS.keys(), (role, statement["Action"])
            starred.update(statement["Action"])
    # Each listed exception is used (a stale entry would hide a future wildcard).
    assert starred == FORCED_WILDCARDS.keys()


def test_resource_policies_use_star_only_as_the_resource_itself(document: dict[str, Any]) -> None:
    """A key policy's ``Resource: "*"`` means that key; bucket policies name their bucket."""
    for name, body in resources_of(document, "AWS::KMS::Key").items():
        for statement in body["Properties"]["KeyPolicy"]["Statement"]:
            assert statement["Resource"] == "*", name
            assert statement["Action"] == "kms:*" or all(a.startswith("kms:") for a in statement["Action"])
    for name, body in resources_of(document, "AWS::S3::BucketPolicy").items():
        for statement in body["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Deny" or statement["Resource"] != "*", name


def test_every_function_environment_builds_aws_settings_with_bucket_and_region(
    document: dict[str, Any], components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the handlers read through Settings (lambdas.entry builds them from the environment) is all set by the template."""
    resolve = resolver(document, LakeBucketName="lake").resolve
    for function in components.functions:
        variables = resolve(document["Resources"][function.logical_id]["Properties"]["Environment"]["Variables"])
        with monkeypatch.context() as patch:
            for name in [name for name in os.environ if name.startswith("LAKEHOUSE_")]:
                patch.delenv(name)
            for name, value in variables.items():
                patch.setenv(name, str(value))
            settings = Settings(_env_file=None)  # type: ignore[call-arg]
        assert (settings.backend.value, settings.bucket, settings.region) == ("aws", "lake", "us-east-1"), function.name
        for key in function.starts_workflows:
            assert key in settings.state_machines, (function.name, key)
