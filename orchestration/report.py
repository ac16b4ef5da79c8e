"""The run report: every delivered file with its outcome, per-source row counts (from the manifests), the
day gates, dbt results and publications; one report per run plus the day's latest.

A source is ``failed`` when a file was quarantined whole, a job crashed, a delivered file is still
waiting at the end of the run, or its day gate is incomplete (the missing or rejected files are named).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from core import layout as lake
from core.calendar import SAO_PAULO
from core.gate import GateStatus
from core.storage import ObjectStore
from ingestion.manifest import FileManifest

LANDED = "landed"
QUARANTINED = "quarantined"
WAITING = "waiting"
FAILED = "failed"


def sao_paulo_now() -> dt.datetime:
    return dt.datetime.now(tz=SAO_PAULO)


def sao_paulo_time(moment: dt.datetime) -> str:
    """An ISO time in America/Sao_Paulo with its offset, as every report writes times."""
    return moment.astimezone(SAO_PAULO).isoformat(timespec="seconds")


def new_run_id(started: dt.datetime) -> str:
    """Sortable within a day and unique: ``20250310T221500-0300-1a2b3c4d``."""
    return f"{started.astimezone(SAO_PAULO).strftime('%Y%m%dT%H%M%S%z')}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class GateCheck:
    """A gated source's day at run time: what the gate holds, and the landing key of each expected name."""

    status: GateStatus
    keys: Mapping[str, str] = field(default_factory=dict)  # expected name -> its landing key

    def problems(self) -> list[str]:
        """Each missing or rejected file of a day that has deliveries; a day with none is just no input."""
        if not self.status.arrived and not self.status.rejected:
            return []
        found = []
        for name in self.status.missing:
            if name in self.status.rejected:
                found.append(f"{name}: rejected ({self.status.rejected[name]})")
            else:
                found.append(f"{name}: missing")
        return found

    def as_report(self) -> dict[str, Any]:
        return {
            "complete": self.status.complete,
            "arrived": sorted(self.status.arrived),
            "missing": [name for name in self.status.missing if name not in self.status.rejected],
            "rejected": dict(self.status.rejected),
            "job_run_id": self.status.run_id,
        }


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def file_outcomes(
    delivered: Collection[str], manifests: list[FileManifest], failures: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Every delivered file (and every manifest of the day) with its outcome: landed, quarantined, waiting, failed."""
    by_key = {manifest.key: manifest for manifest in manifests}
    outcomes: list[dict[str, Any]] = []
    for key in sorted({*delivered, *by_key, *failures}):
        manifest = by_key.get(key)
        if key in failures:
            outcomes.append({"file": key, "status": FAILED, "reason": failures[key]})
        elif manifest is None:
            outcomes.append({"file": key, "status": WAITING})
        else:
            outcome = manifest.status if manifest.status in {LANDED, QUARANTINED} else FAILED
            outcomes.append(
                {
                    "file": key,
                    "status": outcome,
                    "rows_read": manifest.rows_read,
                    "rows_landed": manifest.rows_landed,
                    "rows_quarantined": manifest.rows_quarantined,
                    "quarantined_by_reason": manifest.quarantined_by_reason,
                    **({"reason": manifest.reason} if manifest.reason else {}),
                }
            )
    return outcomes


def source_summary(
    manifests: list[FileManifest],
    errors: list[str],
    delivered: Collection[str] = (),
    failures: Mapping[str, str] | None = None,
    gate: GateCheck | None = None,
) -> dict[str, Any]:
    """One source's part of the report. ``errors`` are crashes not tied to a file, ``failures`` per file."""
    failures = dict(failures or {})
    by_reason: Counter[str] = Counter()
    for manifest in manifests:
        by_reason.update(manifest.quarantined_by_reason)
    files = file_outcomes(delivered, manifests, failures)
    quarantined = [item["file"] for item in files if item["status"] == QUARANTINED]
    waiting = [item["file"] for item in files if item["status"] == WAITING]
    problems = [
        *errors,
        *(f"{item['file']}: {item.get('reason', 'failed')}" for item in files if item["status"] == FAILED),
        *(f"{key}: quarantined whole: {_first_line(str(_reason(files, key)))}" for key in quarantined),
        *(f"day gate incomplete: {problem}" for problem in (gate.problems() if gate else [])),
        *(f"{key}: still waiting at the end of the run" for key in waiting),
    ]
    if problems:
        status = FAILED
    elif not files:
        status = "no_input"
    else:
        status = "ok"
    summary: dict[str, Any] = {
        "status": status,
        # A job or handler raised (not a file rejected with a reason): gold is not published after it.
        "crashed": bool(errors) or any(item["status"] == FAILED for item in files),
        "files": len(files),
        "files_quarantined": len(quarantined),
        "quarantined_files": quarantined,
        "rows_read": sum(manifest.rows_read for manifest in manifests),
        "rows_landed": sum(manifest.rows_landed for manifest in manifests),
        "rows_quarantined": sum(manifest.rows_quarantined for manifest in manifests),
        "quarantined_by_reason": dict(sorted(by_reason.items())),
        "file_details": files,
        "errors": problems,
    }
    if gate is not None:
        summary["day_gate"] = gate.as_report()
    return summary


def _reason(files: list[dict[str, Any]], key: str) -> str:
    return next((str(item.get("reason", "")) for item in files if item["file"] == key), "")


def crashed(sources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The sources whose ingestion crashed (a job or handler raised, a file failed): gold is not published."""
    return sorted(name for name, summary in sources.items() if summary.get("crashed"))


def _encoded(report: Mapping[str, Any]) -> bytes:
    return (json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()


def write_report(store: ObjectStore, day: str, report: dict[str, Any]) -> str:
    """Writes the run's own report under ``reports/runs/<day>/`` and the day's latest ``run-<day>.json``."""
    data = _encoded(report)
    key = lake.run_record_key(day, str(report["run_id"]))
    store.write_bytes(key, data)
    store.write_bytes(lake.run_report_key(day), data)
    return key


def write_command_report(store: ObjectStore, day: str, command: str, outcome: Mapping[str, Any]) -> str:
    """An ad-hoc command's own record; it never touches a run's report nor the day's latest."""
    started = sao_paulo_now()
    run_id = new_run_id(started)
    key = lake.command_record_key(day, command, run_id)
    store.write_bytes(
        key,
        _encoded({"command": command, "day": day, "run_id": run_id, "finished_at": sao_paulo_time(started), **outcome}),
    )
    return key
