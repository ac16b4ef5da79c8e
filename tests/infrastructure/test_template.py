"""The AWS template is valid CloudFormation, names only handlers, scripts and prefixes that exist here,
and declares the pieces a fresh account needs (SFTP, alerts, workgroups, lifecycle, workflows)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import cfnlint.api
import pytest
from typer.testing import CliRunner

from core.settings import Settings
from orchestration.aws.components import Components
from orchestration.aws.package import REPO_ROOT
from orchestration.aws.template import (
    SANDBOX_OMITTED,
    PartnersFileError,
    load_partners,
    template_json,
)
from orchestration.cli import app
from tests.infrastructure.conftest import PARTNERS, resources_of


def test_template_passes_cfn_lint_with_partners_and_without() -> None:
    for partners in (PARTNERS, {}):
        problems = cfnlint.api.lint(template_json(Settings(), partners), regions=["us-east-1", "sa-east-1"])
        assert [str(problem) for problem in problems] == []


def test_every_handler_is_importable_and_every_glue_script_exists(components: Components) -> None:
    for function in components.functions:
        module_name, attribute = function.handler.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module_name), attribute))
    for job in components.jobs:
        script = REPO_ROOT / job.script
        assert script.is_file(), job.script
        assert "def main(" in script.read_text()


def test_notification_prefixes_match_the_local_dispatcher_routes(components: Components) -> None:
    from orchestration.dispatcher import routes

    patterns = [pattern for pattern, _name, _handler in routes()]
    for function in components.functions:
        if function.landing_prefix is None:
            continue
        samples = (function.landing_prefix + "x/2025-01-01/file.csv", function.landing_prefix + "2025-01-01/file.csv")
        assert any(p.match(sample) for p in patterns for sample in samples), function.landing_prefix


def test_cli_prints_the_template_with_the_configured_job_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_GLUE_JOB_PARTNER_CSV", "prod-partner-csv")
    result = CliRunner().invoke(app, ["aws-template"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    names = {body["Properties"]["Name"] for body in resources_of(document, "AWS::Glue::Job").values()}
    assert "prod-partner-csv" in names
    landed = document["Resources"]["PartnerCsvLandedRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert any("job/prod-partner-csv" in json.dumps(s["Resource"]) for s in landed["Statement"])
    assert re.search(r"python3\.\d+", json.dumps(document))


def test_schedules_come_from_the_shared_definitions_with_retries_and_a_dead_letter_queue(
    document: dict[str, Any],
) -> None:
    schedules = {body["Properties"]["Name"]["Fn::Sub"]: body["Properties"] for body in resources_of(document, "AWS::Scheduler::Schedule").values()}
    aurora = schedules["${AWS::StackName}-aurora-extract"]
    assert (aurora["ScheduleExpression"], aurora["ScheduleExpressionTimezone"]) == ("cron(0 3 * * ? *)", "America/Sao_Paulo")
    assert json.loads(aurora["Target"]["Input"]) == {"JobName": Settings().glue_job_aurora}
    sla = schedules["${AWS::StackName}-positional-sla-check"]
    assert (sla["ScheduleExpression"], sla["Target"]["Arn"]) == ("cron(0 12 * * ? *)", {"Fn::GetAtt": ["SlaCheck", "Arn"]})
    daily = schedules["${AWS::StackName}-daily-run"]
    assert daily["ScheduleExpression"] == "cron(0 23 * * ? *)"
    assert json.loads(daily["Target"]["Input"]) == {"job": "end-of-day", "time": "<aws.scheduler.scheduled-time>"}
    for schedule in schedules.values():
        assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert schedule["Target"]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleFailureQueue", "Arn"]}}


def test_each_partner_is_a_key_only_transfer_user_chrooted_to_its_landing_folder(document: dict[str, Any]) -> None:
    server = next(iter(resources_of(document, "AWS::Transfer::Server").values()))["Properties"]
    assert (server["IdentityProviderType"], server["Protocols"]) == ("SERVICE_MANAGED", ["SFTP"])
    users = {body["Properties"]["UserName"]: body["Properties"] for body in resources_of(document, "AWS::Transfer::User").values()}
    assert set(users) == set(PARTNERS)
    for partner, user in users.items():
        assert user["SshPublicKeys"] == PARTNERS[partner]
        assert user["HomeDirectoryType"] == "LOGICAL"
        assert user["HomeDirectoryMappings"] == [{"Entry": "/", "Target": {"Fn::Sub": f"/${{LakeBucketName}}/landing/sftp/{partner}"}}]
        assert "Password" not in json.dumps(user)
        session = json.loads(user["Policy"]["Fn::Sub"])
        resources = [statement["Resource"] for statement in session["Statement"] if "s3:PutObject" in statement["Action"]]
        assert resources == ["arn:aws:s3:::${LakeBucketName}/landing/sftp/${!transfer:UserName}/*"]


def test_a_partners_file_with_a_bad_key_is_refused_naming_the_partner(tmp_path: Path) -> None:
    good = tmp_path / "partners.yml"
    good.write_text("acme:\n  - " + PARTNERS["acme"][0] + "\n")
    assert load_partners(good) == {"acme": PARTNERS["acme"]}
    bad = tmp_path / "bad.yml"
    bad.write_text("acme:\n  - not a key\n")
    with pytest.raises(PartnersFileError, match="partner acme, key 1"):
        load_partners(bad)


def test_every_async_lambda_has_an_on_failure_destination_and_an_errors_alarm(
    document: dict[str, Any], components: Components
) -> None:
    configs = {body["Properties"]["FunctionName"]["Ref"]: body["Properties"] for body in resources_of(document, "AWS::Lambda::EventInvokeConfig").values()}
    alarms = resources_of(document, "AWS::CloudWatch::Alarm").values()
    for function in components.functions:
        assert configs[function.logical_id]["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["LambdaFailureQueue", "Arn"]}
        assert any(
            alarm["Properties"]["MetricName"] == "Errors"
            and alarm["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function.logical_id}}]
            for alarm in alarms
        )


def test_alarms_cover_sla_glue_failures_queues_and_workflows(document: dict[str, Any], components: Components) -> None:
    metrics = {
        (body["Properties"]["Namespace"], body["Properties"]["MetricName"]): body["Properties"]
        for body in resources_of(document, "AWS::CloudWatch::Alarm").values()
    }
    assert metrics[("Lakehouse", "SlaMissed")]["Dimensions"] == [{"Name": "Job", "Value": "positional-day"}]
    assert ("AWS/Events", "TriggeredRules") in metrics
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in metrics
    assert ("AWS/States", "ExecutionsFailed") in metrics
    assert all(body["Properties"]["AlarmActions"] == [{"Ref": "AlertTopic"}] for body in resources_of(document, "AWS::CloudWatch::Alarm").values())
    rule = document["Resources"]["GlueJobFailureRule"]["Properties"]
    assert set(rule["EventPattern"]["detail"]["jobName"]) == {job.name for job in components.jobs}


def test_athena_workgroups_enforce_engine_v3_results_outside_the_lake_and_a_scan_cutoff(document: dict[str, Any]) -> None:
    for body in resources_of(document, "AWS::Athena::WorkGroup").values():
        configuration = body["Properties"]["WorkGroupConfiguration"]
        assert configuration["EnforceWorkGroupConfiguration"] is True
        assert configuration["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
        assert configuration["BytesScannedCutoffPerQuery"] == {"Ref": "AthenaBytesScannedCutoff"}
        assert configuration["ResultConfiguration"]["OutputLocation"]["Fn::Sub"].startswith("s3://${AthenaResultsBucket}/")
    results = document["Resources"]["AthenaResultsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert results[0]["ExpirationInDays"] <= 7
    lake_rules = document["Resources"]["LakeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert lake_rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30


def test_lambdas_get_the_region_and_gated_lambdas_their_workflow(document: dict[str, Any]) -> None:
    for name in ("PositionalToParquet", "ClientFilesLanded", "StartDayWorkflow"):
        variables = document["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert variables["LAKEHOUSE_REGION"] == {"Ref": "AWS::Region"}
        machines = variables["LAKEHOUSE_STATE_MACHINES"]["Fn::Sub"]
        assert re.fullmatch(r'\{"[a-z-]+": "\$\{\w+Workflow\}"\}', machines), machines


def test_glue_jobs_install_the_wheel_as_an_additional_module_and_get_secret_ids(document: dict[str, Any]) -> None:
    for body in resources_of(document, "AWS::Glue::Job").values():
        arguments = body["Properties"]["DefaultArguments"]
        assert "--extra-py-files" not in arguments
        modules = arguments["--additional-python-modules"]["Fn::Join"][1]
        assert modules[0] == {"Fn::Sub": "s3://${ArtifactBucket}/${ArtifactPrefix}/lakehouse-0.1.0-py3-none-any.whl"}
        assert arguments["--lake_uri"] == {"Fn::Sub": "s3://${LakeBucketName}"}
    aurora = document["Resources"]["AuroraExtract"]["Properties"]
    assert aurora["DefaultArguments"]["--aurora_secret_id"] == {"Ref": "AuroraSecretName"}
    assert aurora["Connections"] == {"Fn::If": ["HasVpc", {"Connections": [{"Ref": "VpcConnection"}]}, {"Ref": "AWS::NoValue"}]}
    dbt = document["Resources"]["DbtBuild"]["Properties"]["DefaultArguments"]["--additional-python-modules"]["Fn::Join"][1]
    assert any(str(module).startswith("dbt-athena-community") for module in dbt)


def test_quicksight_data_sets_follow_the_gold_contracts_behind_a_parameter(document: dict[str, Any]) -> None:
    data_sets = resources_of(document, "AWS::QuickSight::DataSet")
    assert {body["Properties"]["Name"] for body in data_sets.values()} >= {"gold.salary_averages", "gold.client_health", "gold.contract_plans"}
    assert all(body["Condition"] == "EnableQuickSight" for body in data_sets.values())
    health = next(body for body in data_sets.values() if body["Properties"]["Name"] == "gold.client_health")
    table = next(iter(health["Properties"]["PhysicalTableMap"].values()))["RelationalTable"]
    assert table["Schema"] == "gold"
    assert {"Name": "data_cadastro", "Type": "DATETIME"} in table["InputColumns"]


def test_outputs_name_every_function_job_workflow_and_endpoint(document: dict[str, Any], components: Components) -> None:
    outputs = document["Outputs"]
    for name in ("SftpEndpoint", "LakeBucket", "AthenaResultsBucket", "AlertTopicArn", "AnalystsRoleArn", "PipelineWorkGroup", "AnalystsWorkGroup"):
        assert name in outputs
    assert {f"{f.logical_id}Function" for f in components.functions} <= set(outputs)
    assert {f"{j.logical_id}Job" for j in components.jobs} <= set(outputs)
    assert {f"{w.logical_id}Arn" for w in components.workflows} <= set(outputs)


def test_every_resource_type_the_sandbox_cannot_create_is_left_out_there(document: dict[str, Any]) -> None:
    real_account_only = {"IsRealAccount", "HasVpcOnRealAccount", "HasAlertEmailOnRealAccount", "EnableQuickSight"}
    for name, body in document["Resources"].items():
        if body["Type"] in SANDBOX_OMITTED:
            assert body.get("Condition") in real_account_only, name
