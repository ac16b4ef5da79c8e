"""``lakehouse run --from D1 --to D2``: each day of a range once, in date order, through the one-day run.

Resumable: a day whose latest report says ``succeeded`` is skipped unless forced. The range stops at the
first failed day, because the incremental silver and gold of a later day build on the earlier days: going
on would publish gold that silently lacks the failed day, and the next invocation resumes exactly there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from rich.table import Table

from core.calendar import parse_day
from core.errors import describe_error
from core.layout import backfill_report_key, run_report_key
from core.storage import ObjectStore

# A year (leap or not) runs without confirmation; longer ranges are usually a typo in a year.
MAX_UNCONFIRMED_DAYS = 366

DayRunner = Callable[[str], dict[str, Any]]


class RangeUsageError(ValueError):
    """A range the command refuses: exit 2, naming the option."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


def days_in_range(first: str, last: str, allow_long_range: bool = False) -> list[str]:
    """Every day from ``first`` to ``last``, both included, in date order."""
    try:
        start = parse_day(first)
    except ValueError as exc:
        raise RangeUsageError(f"--from must be YYYY-MM-DD, got {first!r}", "--from") from exc
    try:
        end = parse_day(last)
    except ValueError as exc:
        raise RangeUsageError(f"--to must be YYYY-MM-DD, got {last!r}", "--to") from exc
    if start > end:
        raise RangeUsageError(f"--from {first} is after --to {last}", "--from")
    count = (end - start).days + 1
    if count > MAX_UNCONFIRMED_DAYS and not allow_long_range:
        raise RangeUsageError(
            f"{first}..{last} is {count} days, over {MAX_UNCONFIRMED_DAYS}: add --allow-long-range to run it",
            "--to",
        )
    return [(start + dt.timedelta(days=offset)).isoformat() for offset in range(count)]


def latest_day_report(store: ObjectStore, day: str) -> dict[str, Any] | None:
    """The day's latest run report, or None when the day never ran (or its report is unreadable)."""
    key = run_report_key(day)
    if not store.exists(key):
        return None
    try:
        report = json.loads(store.read_bytes(key))
    except ValueError:  # a torn or foreign file is not proof of success: the day runs again
        return None
    return report if isinstance(report, dict) else None


@dataclass(frozen=True)
class DayOutcome:
    day: str
    status: str  # succeeded | failed | not run (after a failed day)
    skipped: bool = False
    files: int = 0
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    report: str | None = None
    error: str | None = None

    @classmethod
    def from_report(cls, store: ObjectStore, report: dict[str, Any], skipped: bool) -> DayOutcome:
        sources = report.get("sources", {}).values()
        return cls(
            day=report["day"],
            status="succeeded" if report.get("status") == "succeeded" else "failed",
            skipped=skipped,
            files=sum(source.get("files", 0) for source in sources),
            rows_read=sum(source.get("rows_read", 0) for source in sources),
            rows_landed=sum(source.get("rows_landed", 0) for source in sources),
            rows_quarantined=sum(source.get("rows_quarantined", 0) for source in sources),
            report=store.uri(run_report_key(report["day"])),
        )


@dataclass(frozen=True)
class BackfillSummary:
    first_day: str
    last_day: str
    force: bool
    days: list[DayOutcome]

    @property
    def failed_day(self) -> str | None:
        return next((outcome.day for outcome in self.days if outcome.status == "failed"), None)

    @property
    def status(self) -> str:
        return "failed" if self.failed_day else "succeeded"

    def as_report(self) -> dict[str, Any]:
        return {
            "from": self.first_day,
            "to": self.last_day,
            "status": self.status,
            "failed_day": self.failed_day,
            "force": self.force,
            "days_run": sum(outcome.status != "not run" and not outcome.skipped for outcome in self.days),
            "days_skipped": sum(outcome.skipped for outcome in self.days),
            "finished_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
            "days": [asdict(outcome) for outcome in self.days],
        }


def run_backfill(
    store: ObjectStore, days: list[str], run_day: DayRunner, force: bool = False
) -> BackfillSummary:
    """Runs ``run_day`` for each day not yet succeeded (every day when ``force``), stopping at the first
    failure; writes the summary to ``reports/backfill-D1_D2.json`` and returns it."""
    outcomes: list[DayOutcome] = []
    try:
        for position, day in enumerate(days):
            latest = None if force else latest_day_report(store, day)
            if latest is not None and latest.get("status") == "succeeded":
                outcomes.append(DayOutcome.from_report(store, latest, skipped=True))
                continue
            try:
                outcome = DayOutcome.from_report(store, run_day(day), skipped=False)
            except Exception as exc:  # recorded in the summary, then raised for the command to map
                outcomes.append(DayOutcome(day=day, status="failed", error=describe_error(exc)))
                outcomes += [DayOutcome(day=rest, status="not run") for rest in days[position + 1 :]]
                raise
            outcomes.append(outcome)
            if outcome.status == "failed":
                outcomes += [DayOutcome(day=rest, status="not run") for rest in days[position + 1 :]]
                break
    finally:
        summary = BackfillSummary(days[0], days[-1], force, outcomes)
        store.write_bytes(
            backfill_report_key(days[0], days[-1]),
            (json.dumps(summary.as_report(), indent=2, ensure_ascii=False) + "\n").encode(),
        )
    return summary


def summary_table(summary: BackfillSummary) -> Table:
    table = Table(title=f"lakehouse run --from {summary.first_day} --to {summary.last_day}: {summary.status}")
    numeric = ("files", "rows read", "landed", "quarantined")
    for column in ("day", "status", *numeric, "skipped"):
        table.add_column(column, justify="right" if column in numeric else "left")
    for outcome in summary.days:
        counted = outcome.status != "not run"
        table.add_row(
            outcome.day,
            outcome.status,
            *(
                f"{value:,}" if counted else "-"
                for value in (outcome.files, outcome.rows_read, outcome.rows_landed, outcome.rows_quarantined)
            ),
            "yes (succeeded before)" if outcome.skipped else "no",
        )
    return table
