"""The positional SLA: the day's job must have succeeded by the deadline (America/Sao_Paulo wall time).

``check_sla`` reads the job record ``reports/jobs/positional/<day>.json`` and answers:

- ``met``: the record says the job succeeded, and its first success finished by the deadline;
- ``pending``: not met yet, but the deadline has not passed (nothing to alert about: the files may still
  arrive, a failed run may still be rerun);
- ``missed``: the deadline has passed without a success by then (no record, a failed run, or a success
  after the deadline).

Every check writes ``reports/sla-<day>.json``. A miss also emits one JSON line on stdout that is both the
structured alert of the local log and, on AWS, a CloudWatch Embedded Metric Format document (metric
``Lakehouse/SlaMissed`` by ``Job``): a Lambda's stdout goes to CloudWatch Logs, which extracts the metric.
``lakehouse sla-check`` emits nothing itself and prints ``SlaResult.document()`` instead: one JSON line
whatever the outcome, which on a miss is that same EMF alert with the result's fields beside it.

The deadline's default comes from the ``positional-sla-check`` schedule, which fires at the deadline both
in the long-running local mode and on EventBridge.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from core import layout as lake
from core.backend import Backend
from core.calendar import SAO_PAULO, today_in_sao_paulo
from core.schedules import schedule
from core.storage import ObjectStore
from ingestion.positional.converter import SOURCE
from jobs.job_record import SUCCEEDED, read_job_record

JOB = "positional-day"  # the job the record names, and the metric's Job dimension
SCHEDULE = "positional-sla-check"
METRIC_NAMESPACE = "Lakehouse"
METRIC_NAME = "SlaMissed"
MET, MISSED, PENDING = "met", "missed", "pending"


def default_deadline() -> dt.time:
    """The wall time the ``positional-sla-check`` schedule fires at (its cron's minute and hour)."""
    minute, hour = schedule(SCHEDULE).cron.split()[:2]
    return dt.time(int(hour), int(minute))


def parse_deadline(value: str) -> dt.time:
    """``HH:MM`` (24 h), as ``--deadline`` takes it."""
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--deadline must be HH:MM, got {value!r}") from None


def sla_report_key(day: str) -> str:
    return f"{lake.REPORTS}/sla-{day}.json"


@dataclass(frozen=True)
class SlaResult:
    day: str
    status: str  # met | missed | pending
    reason: str
    deadline: dt.datetime  # aware, America/Sao_Paulo
    checked_at: dt.datetime
    job_status: str | None = None
    succeeded_at: str | None = None  # the first success of the day's job, ISO UTC
    alert: dict[str, Any] | None = None  # the EMF document emitted for a miss

    def document(self) -> dict[str, Any]:
        """The result as one JSON document; on a miss it is also the EMF alert (``_aws``, ``Job`` and the
        metric at the top level), so one line serves the reader and CloudWatch Logs."""
        fields = {key: value for key, value in self.as_dict().items() if key != "alert"}
        return {**(self.alert or {}), **fields}

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": JOB,
            "day": self.day,
            "status": self.status,
            "reason": self.reason,
            "deadline": self.deadline.isoformat(),
            "checked_at": self.checked_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "job_status": self.job_status,
            "succeeded_at": self.succeeded_at,
            "alert": self.alert,
        }


def sla_exit_code(result: SlaResult) -> int:
    """What ``lakehouse sla-check`` exits with: non-zero only for a missed deadline."""
    return 1 if result.status == MISSED else 0


def alert_document(result: SlaResult) -> dict[str, Any]:
    """The structured alert: a CloudWatch EMF document plus the facts an operator needs."""
    return {
        "_aws": {
            "Timestamp": int(result.checked_at.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": METRIC_NAMESPACE,
                    "Dimensions": [["Job"]],
                    "Metrics": [{"Name": METRIC_NAME, "Unit": "Count"}],
                }
            ],
        },
        "Job": JOB,
        METRIC_NAME: 1,
        "level": "ERROR",
        "event": "sla_missed",
        "day": result.day,
        "deadline": result.deadline.isoformat(),
        "reason": result.reason,
        "job_status": result.job_status,
        "succeeded_at": result.succeeded_at,
    }


def _print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _evaluate(
    record: dict[str, Any] | None, day: str, deadline_at: dt.datetime, now: dt.datetime
) -> SlaResult:
    job_status = record.get("status") if record else None
    first = record.get("first_succeeded_at") if record else None
    succeeded_at = first or (record.get("finished_at") if record and job_status == SUCCEEDED else None)
    if succeeded_at is not None:
        finished = dt.datetime.fromisoformat(succeeded_at)
        local = finished.astimezone(SAO_PAULO).isoformat(timespec="seconds")
        met = finished <= deadline_at
        status, reason = (MET, f"succeeded at {local}") if met else (MISSED, f"succeeded late, at {local}")
    else:
        if record is None:
            reason = "the day's job has not run (no job record)"
        else:
            reason = f"the day's job {job_status}: {'; '.join(record.get('errors') or []) or 'no detail'}"
        status, reason = (
            (PENDING, f"{reason}; the deadline has not passed") if now < deadline_at else (MISSED, reason)
        )
    return SlaResult(day, status, reason, deadline_at, now, job_status, succeeded_at)


def check_sla(
    store: ObjectStore,
    day: str,
    deadline: dt.time,
    now: dt.datetime,
    emit: Callable[[str], None] | None = _print_line,
) -> SlaResult:
    """Whether the day's positional job succeeded by ``deadline`` on ``day`` (Sao Paulo); ``now`` is aware.

    Writes ``reports/sla-<day>.json``; a miss also goes to ``emit`` as one JSON line (stdout by default;
    None emits nothing, for a caller that prints ``SlaResult.document()`` itself).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    deadline_at = dt.datetime.combine(dt.date.fromisoformat(day), deadline, tzinfo=SAO_PAULO)
    result = _evaluate(read_job_record(store, SOURCE, day), day, deadline_at, now)
    if result.status == MISSED:
        result = replace(result, alert=alert_document(result))
        if emit is not None:
            emit(json.dumps(result.alert, ensure_ascii=False, separators=(",", ":")))
    report = json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
    store.write_bytes(sla_report_key(day), report.encode())
    return result


def run_sla_check(
    backend: Backend,
    day: str,
    deadline: dt.time | None = None,
    now: dt.datetime | None = None,
    emit: Callable[[str], None] | None = _print_line,
) -> SlaResult:
    """The check as the schedule, its Lambda and ``lakehouse sla-check`` run it: on the backend's lake, by
    default at the schedule's deadline and the current time."""
    return check_sla(
        backend.store, day, deadline or default_deadline(), now or dt.datetime.now(tz=dt.UTC), emit
    )


def scheduled_day(scheduled_time: str | None, now: dt.datetime) -> str:
    """The Sao Paulo day of a schedule's ``time`` (``<aws.scheduler.scheduled-time>``), else of ``now``."""
    return today_in_sao_paulo(dt.datetime.fromisoformat(scheduled_time) if scheduled_time else now).isoformat()
