"""The `lakehouse` command as a new user runs it: demo in a temporary folder (the session's demo day), query,
and a day with no input."""

from __future__ import annotations

import csv
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app, lakehouse_command
from tests.support.demo import DemoDay
from tests.support.partner_expectations import expected_salary_averages

runner = CliRunner()
DAY = "2025-03-10"


@pytest.mark.spark
@pytest.mark.slow
def test_demo_builds_gold_that_matches_its_own_inputs(demo_day: DemoDay) -> None:
    lake = demo_day.lake
    assert "published gold.salary_averages" in demo_day.output

    landed = sorted((lake / "landing" / "sftp").rglob("*.csv"), key=lambda path: path.stat().st_mtime)
    assert len(landed) == 4
    expected = expected_salary_averages(landed)

    queried = runner.invoke(
        app, ["query", "--lake", str(lake), "--format", "csv", "select * from gold.salary_averages"]
    )
    assert queried.exit_code == 0, queried.output
    gold = {
        (int(row["idade"]), row["ativo"] == "True", int(row["ano"]), int(row["mes"])): (
            Decimal(row["salario_medio"]),
            int(row["funcionarios"]),
            Decimal(row["salario_total"]),
        )
        for row in csv.DictReader(io.StringIO(queried.output))
    }
    assert gold == expected

    report = json.loads((lake / "reports" / f"run-{demo_day.day}.json").read_text())
    partner = report["sources"]["partner_csv"]
    assert partner["rows_read"] == demo_day.rows + 5  # and the 5-row correction file
    assert partner["rows_quarantined"] == 3
    assert partner["rows_landed"] + partner["rows_quarantined"] == partner["rows_read"]
    assert len(partner["quarantined_by_reason"]) == 3


@pytest.mark.slow  # a whole run: the dbt build of every model over empty bronze
def test_a_day_without_input_is_reported_as_such_not_as_an_error(tmp_path: Path) -> None:
    lake = tmp_path / "empty"
    result = runner.invoke(app, ["run", "--lake", str(lake), "--date", "2025-01-02"])
    assert result.exit_code == 0, result.output
    report = json.loads((lake / "reports" / "run-2025-01-02.json").read_text())
    assert report["status"] == "succeeded"
    assert report["sources"]["partner_csv"]["status"] == "no_input"
    assert report["sources"]["partner_csv"]["files"] == 0

    queried = runner.invoke(app, ["query", "--lake", str(lake), "--format", "json", "select count(*) as n from gold.salary_averages"])
    assert queried.exit_code == 0, queried.output
    assert json.loads(queried.output) == [{"n": 0}]


def test_bad_arguments_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--lake", str(tmp_path), "--date", "10/03/2025"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
    missing = runner.invoke(app, ["query", "--lake", str(tmp_path / "nothing"), "select 1"])
    assert missing.exit_code == 2
    assert "no catalog" in missing.output


def test_sla_check_exits_non_zero_with_an_alert_when_the_day_job_never_ran(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sla-check", "--lake", str(tmp_path), "--date", "2025-01-02", "--deadline", "12:00"])
    assert result.exit_code == 1, result.output
    # stdout is exactly one JSON document on one line (json.loads refuses a second one)...
    assert len(result.stdout.splitlines()) == 1, result.stdout
    document = json.loads(result.stdout)
    assert (document["status"], document["day"]) == ("missed", "2025-01-02")
    # ...and that line is the CloudWatch EMF alert: metric, namespace and dimension at the top level.
    assert document["SlaMissed"] == 1 and document["Job"] == "positional-day"
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Lakehouse"
    report = json.loads((tmp_path / "reports" / "sla-2025-01-02.json").read_text())
    assert report["status"] == "missed"


def test_sla_check_without_a_miss_prints_one_json_document_and_no_alert(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sla-check", "--lake", str(tmp_path), "--date", "2099-01-02"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["status"] == "pending"
    assert "_aws" not in document


def test_the_command_hint_works_without_an_active_venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / ".venv" / "bin" / "lakehouse"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script)])

    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert lakehouse_command() == ".venv/bin/lakehouse"
    monkeypatch.setenv("PATH", f"{script.parent}:/usr/bin:/bin")
    assert lakehouse_command() == "lakehouse"
    monkeypatch.setattr(sys, "argv", ["/somewhere/pytest"])
    assert lakehouse_command() == f"{sys.executable} -m orchestration.cli"
