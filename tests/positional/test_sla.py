"""The positional SLA check: met, pending, missed (late, failed, absent), the alert's EMF shape, exit codes,
and the scheduled Lambda on the local lake and on S3."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from core.backend import build_backend
from core.settings import Settings
from core.storage import LocalObjectStore, S3ObjectStore
from jobs.job_record import write_job_record
from jobs.sla_check import (
    MET,
    MISSED,
    PENDING,
    SlaResult,
    check_sla,
    default_deadline,
    parse_deadline,
    run_sla_check,
    sla_exit_code,
)
from lambdas.sla_check.handler import handler

DAY = "2024-01-15"
NOON = dt.time(12, 0)
# America/Sao_Paulo is UTC-3 all year since 2019: noon there is 15:00 UTC.
BEFORE_NOON = dt.datetime(2024, 1, 15, 14, 59, 59, tzinfo=dt.UTC)
AFTER_NOON = dt.datetime(2024, 1, 15, 15, 0, 5, tzinfo=dt.UTC)


def _record(store: LocalObjectStore, status: str, finished_at: str, errors: list[str] | None = None) -> None:
    write_job_record(
        store,
        "positional",
        DAY,
        {
            "job": "positional-day",
            "day": DAY,
            "status": status,
            "finished_at": finished_at,
            "errors": errors or [],
        },
    )


def _check(store: LocalObjectStore, now: dt.datetime) -> tuple[SlaResult, list[str]]:
    lines: list[str] = []
    result = check_sla(store, DAY, NOON, now, emit=lines.append)
    return result, lines


def _report(store: LocalObjectStore) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(store.read_bytes(f"reports/sla-{DAY}.json"))
    return report


def test_a_success_before_the_deadline_meets_it(lake: LocalObjectStore) -> None:
    _record(lake, "succeeded", "2024-01-15T14:30:00+00:00")

    result, lines = _check(lake, AFTER_NOON)

    assert (result.status, sla_exit_code(result), lines) == (MET, 0, [])
    assert result.reason == "succeeded at 2024-01-15T11:30:00-03:00"
    assert _report(lake)["status"] == MET and _report(lake)["alert"] is None


@pytest.mark.parametrize(
    ("status", "finished_at", "errors", "reason"),
    [
        ("succeeded", "2024-01-15T15:00:01+00:00", [], "succeeded late, at 2024-01-15T12:00:01-03:00"),
        (
            "failed",
            "2024-01-15T13:00:00+00:00",
            ["model contract_plans: error"],
            "failed: model contract_plans",
        ),
    ],
)
def test_a_late_success_or_a_failure_misses_it(
    lake: LocalObjectStore, status: str, finished_at: str, errors: list[str], reason: str
) -> None:
    _record(lake, status, finished_at, errors)

    result, lines = _check(lake, AFTER_NOON)

    assert (result.status, sla_exit_code(result), result.job_status) == (MISSED, 1, status)
    assert reason in result.reason
    (line,) = lines
    alert = json.loads(line)
    assert alert == result.alert == _report(lake)["alert"]
    assert alert["reason"] == result.reason and alert["event"] == "sla_missed"


def test_no_record_after_the_deadline_misses_it_and_before_it_is_pending(lake: LocalObjectStore) -> None:
    early, early_lines = _check(lake, BEFORE_NOON)
    assert (early.status, sla_exit_code(early), early_lines) == (PENDING, 0, [])
    assert _report(lake)["status"] == PENDING

    late, late_lines = _check(lake, AFTER_NOON)
    assert (late.status, sla_exit_code(late), len(late_lines)) == (MISSED, 1, 1)
    assert "no job record" in late.reason
    assert _report(lake)["status"] == MISSED


def test_a_failure_before_the_deadline_is_still_pending(lake: LocalObjectStore) -> None:
    _record(lake, "failed", "2024-01-15T13:00:00+00:00", ["dbt build failed"])

    result, lines = _check(lake, BEFORE_NOON)

    assert (result.status, lines) == (PENDING, [])
    assert "dbt build failed" in result.reason


def test_a_rerun_after_the_deadline_keeps_the_first_success(lake: LocalObjectStore) -> None:
    _record(lake, "succeeded", "2024-01-15T14:00:00+00:00")
    _record(lake, "succeeded", "2024-01-15T18:00:00+00:00")
    _record(lake, "failed", "2024-01-15T19:00:00+00:00", ["opensearch: down"])

    result, lines = _check(lake, dt.datetime(2024, 1, 15, 20, tzinfo=dt.UTC))

    assert (result.status, result.job_status, lines) == (MET, "failed", [])
    assert result.succeeded_at == "2024-01-15T14:00:00+00:00"


def test_the_alert_is_a_cloudwatch_embedded_metric_document(lake: LocalObjectStore) -> None:
    _result, (line,) = _check(lake, AFTER_NOON)

    alert = json.loads(line)
    assert alert["_aws"] == {
        "Timestamp": int(AFTER_NOON.timestamp() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": "Lakehouse",
                "Dimensions": [["Job"]],
                "Metrics": [{"Name": "SlaMissed", "Unit": "Count"}],
            }
        ],
    }
    # EMF: every dimension and metric named in the directive is a member of the root object.
    assert alert["Job"] == "positional-day"
    assert alert["SlaMissed"] == 1
    assert alert["deadline"] == "2024-01-15T12:00:00-03:00"
    assert "\n" not in line  # one log line


def test_deadline_defaults_to_the_schedule_and_times_must_be_aware(lake: LocalObjectStore) -> None:
    assert default_deadline() == NOON
    assert parse_deadline("09:30") == dt.time(9, 30)
    with pytest.raises(ValueError, match="HH:MM"):
        parse_deadline("noon")
    with pytest.raises(ValueError, match="timezone-aware"):
        check_sla(lake, DAY, NOON, dt.datetime(2024, 1, 15, 15))


def _scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": "2024-01-15T15:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/positional-sla-check"],
        "detail": {},
    }


def test_the_scheduled_lambda_prints_the_alert_for_cloudwatch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LAKEHOUSE_BACKEND", "local")
    monkeypatch.setenv("LAKEHOUSE_LAKE", str(tmp_path))

    summary = handler(_scheduled_event(), None)

    assert (summary["day"], summary["status"]) == (DAY, MISSED)
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [item["SlaMissed"] for item in emitted] == [1]
    assert json.loads((tmp_path / f"reports/sla-{DAY}.json").read_text())["status"] == MISSED


def test_the_scheduled_lambda_reads_the_record_from_s3(
    aws_environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = f"sla-lake-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("LAKEHOUSE_BACKEND", "aws")
    monkeypatch.setenv("LAKEHOUSE_BUCKET", bucket)
    write_job_record(
        S3ObjectStore(bucket, s3),
        "positional",
        DAY,
        {
            "job": "positional-day",
            "day": DAY,
            "status": "succeeded",
            "finished_at": "2024-01-15T13:00:00+00:00",
        },
    )

    summary = handler(_scheduled_event(), None)

    assert (summary["status"], summary["succeeded_at"]) == (MET, "2024-01-15T13:00:00+00:00")
    report = json.loads(s3.get_object(Bucket=bucket, Key=f"reports/sla-{DAY}.json")["Body"].read())
    assert report["status"] == MET


def test_the_scheduled_local_job_checks_the_settings_lake(tmp_path: Path) -> None:
    _record(LocalObjectStore(tmp_path), "succeeded", "2024-01-15T14:00:00+00:00")

    result = run_sla_check(build_backend(Settings(lake=tmp_path)), DAY, now=AFTER_NOON)

    assert (result.status, result.deadline.time()) == (MET, NOON)
    assert (tmp_path / f"reports/sla-{DAY}.json").is_file()
