"""`lakehouse run --from D1 --to D2`: order, resume, --force, usage errors (a fake day runner keeps them fast),
and one real two-day range on a tiny demo lake."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from core.layout import backfill_report_key, run_report_key
from core.storage import LocalObjectStore
from ingestion.client_health.sample_data import write_client_health_day
from ingestion.partner_csv.sample_data import write_partner_day
from ingestion.positional.sample_data import write_sample_day
from orchestration import backfill
from orchestration.cli import app

runner = CliRunner()


class FakeDays:
    """Stands in for the one-day run: records the days it ran, writes their report, fails on request."""

    def __init__(self, store: LocalObjectStore, failing: set[str] | None = None) -> None:
        self.store, self.failing = store, failing or set()
        self.ran: list[str] = []

    def __call__(self, day: str) -> dict[str, Any]:
        self.ran.append(day)
        report = {
            "day": day,
            "status": "failed" if day in self.failing else "succeeded",
            "sources": {"partner_csv": {"files": 2, "rows_read": 10, "rows_landed": 9, "rows_quarantined": 1}},
        }
        self.store.write_bytes(run_report_key(day), json.dumps(report).encode())
        return report


def _summary(store: LocalObjectStore, first: str, last: str) -> dict[str, Any]:
    return json.loads(store.read_bytes(backfill_report_key(first, last)))


def test_days_run_once_each_in_date_order_across_a_month_end(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    days = backfill.days_in_range("2025-02-27", "2025-03-02")
    fake = FakeDays(store)

    summary = backfill.run_backfill(store, days, fake)

    assert fake.ran == ["2025-02-27", "2025-02-28", "2025-03-01", "2025-03-02"]
    assert summary.status == "succeeded"
    written = _summary(store, "2025-02-27", "2025-03-02")
    assert [(day["day"], day["status"], day["skipped"]) for day in written["days"]] == [
        (day, "succeeded", False) for day in fake.ran
    ]
    assert written["days"][0] | {"report": None} == {
        "day": "2025-02-27", "status": "succeeded", "skipped": False, "files": 2, "rows_read": 10,
        "rows_landed": 9, "rows_quarantined": 1, "report": None, "error": None,
    }


def test_a_failed_day_stops_the_range_and_the_next_invocation_resumes_there(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    days = backfill.days_in_range("2025-03-01", "2025-03-04")

    first = FakeDays(store, failing={"2025-03-02"})
    summary = backfill.run_backfill(store, days, first)
    assert first.ran == ["2025-03-01", "2025-03-02"]
    assert summary.failed_day == "2025-03-02"
    assert [day["status"] for day in _summary(store, "2025-03-01", "2025-03-04")["days"]] == [
        "succeeded", "failed", "not run", "not run"
    ]

    second = FakeDays(store)
    resumed = backfill.run_backfill(store, days, second)
    assert second.ran == ["2025-03-02", "2025-03-03", "2025-03-04"]
    assert resumed.status == "succeeded"
    assert [(o.day, o.skipped) for o in resumed.days] == [
        ("2025-03-01", True), ("2025-03-02", False), ("2025-03-03", False), ("2025-03-04", False)
    ]
    assert resumed.days[0].rows_read == 10  # a skipped day still shows its earlier counts


def test_force_reruns_days_that_already_succeeded(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    days = backfill.days_in_range("2025-03-01", "2025-03-02")
    backfill.run_backfill(store, days, FakeDays(store))

    again = FakeDays(store)
    assert backfill.run_backfill(store, days, again).days[0].skipped is True and again.ran == []
    forced = FakeDays(store)
    summary = backfill.run_backfill(store, days, forced, force=True)
    assert forced.ran == days
    assert not any(outcome.skipped for outcome in summary.days)
    assert _summary(store, *days)["force"] is True


def test_a_crashing_day_is_recorded_in_the_summary_then_raised(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)

    def crash(day: str) -> dict[str, Any]:
        raise RuntimeError("dbt process died")

    with pytest.raises(RuntimeError):
        backfill.run_backfill(store, ["2025-03-01", "2025-03-02"], crash)
    written = _summary(store, "2025-03-01", "2025-03-02")
    assert written["failed_day"] == "2025-03-01"
    assert written["days"][0]["error"] == "RuntimeError: dbt process died"
    assert written["days"][1]["status"] == "not run"


def test_an_unreadable_latest_report_does_not_count_as_succeeded(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.write_bytes(run_report_key("2025-03-01"), b'{"day": "2025-03-01", "status": "succ')
    fake = FakeDays(store)
    backfill.run_backfill(store, ["2025-03-01"], fake)
    assert fake.ran == ["2025-03-01"]


def test_a_year_runs_but_a_longer_range_needs_confirmation() -> None:
    assert len(backfill.days_in_range("2024-01-01", "2024-12-31")) == 366
    with pytest.raises(backfill.RangeUsageError, match="367 days"):
        backfill.days_in_range("2024-01-01", "2025-01-01")
    assert len(backfill.days_in_range("2024-01-01", "2025-01-01", allow_long_range=True)) == 367


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--date", "2025-03-01", "--from", "2025-03-01", "--to", "2025-03-02"], "mutually exclusive"),
        (["--from", "2025-03-02", "--to", "2025-03-01"], "is after --to"),
        (["--from", "2025-03-01"], "needs both --from and --to"),
        (["--from", "01/03/2025", "--to", "2025-03-02"], "--from must be YYYY-MM-DD"),
        (["--from", "2024-01-01", "--to", "2025-01-01"], "--allow-long-range"),
        (["--date", "2025-03-01", "--force"], "only to a range"),
    ],
)
def test_usage_errors_exit_2_naming_the_problem_and_run_nothing(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["run", "--lake", str(tmp_path / "lake"), *arguments])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.replace("│", " ").split())
    assert not (tmp_path / "lake" / "reports").exists()


@pytest.mark.spark
@pytest.mark.slow
def test_a_two_day_range_on_a_demo_lake_skips_the_done_day_and_runs_the_next(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first, second = "2025-03-10", "2025-03-11"
    demo = runner.invoke(app, ["demo", "--lake", str(lake), "--date", first, "--rows", "40"])
    assert demo.exit_code == 0, demo.output
    landing, day = lake / "landing", dt.date.fromisoformat(second)
    write_partner_day(landing, day, 40, 8)
    write_client_health_day(landing, day, 50, 8)
    write_sample_day(LocalObjectStore(lake), second, 50, 8)

    result = runner.invoke(app, ["run", "--lake", str(lake), "--from", first, "--to", second])

    assert result.exit_code == 0, result.output
    reports = {day: json.loads((lake / run_report_key(day)).read_text()) for day in (first, second)}
    assert {day: report["status"] for day, report in reports.items()} == {first: "succeeded", second: "succeeded"}
    summary = json.loads((lake / backfill_report_key(first, second)).read_text())
    assert summary["status"] == "succeeded"
    assert [(d["day"], d["skipped"]) for d in summary["days"]] == [(first, True), (second, False)]
    partner = reports[second]["sources"]["partner_csv"]
    second_day = summary["days"][1]
    assert second_day["rows_read"] == second_day["rows_landed"] + second_day["rows_quarantined"] > 0
    assert partner["rows_read"] <= second_day["rows_read"]
