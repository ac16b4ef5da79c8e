"""The AWS template is valid CloudFormation and names only handlers, scripts and prefixes that exist here."""

from __future__ import annotations

import importlib
import json
import re

import cfnlint.api
from typer.testing import CliRunner

from core.settings import Settings
from jobs.dbt import REPO_ROOT
from orchestration.cli import app
from orchestration.infrastructure import glue_jobs, lambda_functions, template_json


def test_template_passes_cfn_lint() -> None:
    problems = cfnlint.api.lint(template_json(), regions=["us-east-1"])
    assert [str(problem) for problem in problems] == []


def test_every_handler_is_importable_and_every_glue_script_exists() -> None:
    settings = Settings()
    for function in lambda_functions(settings):
        module_name, attribute = function.handler.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module_name), attribute))
    for job in glue_jobs(settings):
        script = REPO_ROOT / job.script
        assert script.is_file(), job.script
        assert "def main(" in script.read_text()


def test_notification_prefixes_match_the_local_dispatcher_routes() -> None:
    from orchestration.dispatcher import routes

    patterns = [pattern for pattern, _name, _handler in routes()]
    for function in lambda_functions(Settings()):
        if function.landing_prefix is None:
            continue
        sample = function.landing_prefix + "x/2025-01-01/file.csv"
        matching = [p for p in patterns if p.match(sample) or p.match(function.landing_prefix + "2025-01-01/file.csv")]
        assert matching, function.landing_prefix


def test_cli_prints_the_template_with_the_configured_job_names(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAKEHOUSE_GLUE_JOB_PARTNER_CSV", "prod-partner-csv")
    result = CliRunner().invoke(app, ["aws-template"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    names = {resource["Properties"].get("Name") for resource in document["Resources"].values() if resource["Type"] == "AWS::Glue::Job"}
    assert "prod-partner-csv" in names
    assert re.search(r"python3\.\d+", json.dumps(document))


def test_aurora_schedule_is_declared_from_the_shared_definition() -> None:
    document = json.loads(template_json())
    schedules = [r["Properties"] for r in document["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule"]
    aurora = next(item for item in schedules if item["Name"] == "aurora-extract")
    assert aurora["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert aurora["ScheduleExpressionTimezone"] == "America/Sao_Paulo"
    assert json.loads(aurora["Target"]["Input"]) == {"JobName": Settings().glue_job_aurora}
    sla = next(item for item in schedules if item["Name"] == "positional-sla-check")
    assert (sla["ScheduleExpression"], sla["Target"]["Arn"]) == ("cron(0 12 * * ? *)", {"Fn::GetAtt": ["SlaCheck", "Arn"]})
