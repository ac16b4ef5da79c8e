"""The long-running local mode: the landing zone watched like S3 notifications, and the declared
schedules (core.schedules) fired at their Sao Paulo times, all in one process.

Every dispatched file gets one outcome line in the log, read from the per-file manifests the handler and
the job it started wrote (landed or quarantined, with rows), or from the handler's answer when no file
was processed yet (a gated day waiting for its other files, a duplicate event). Gold changes only at the
daily run, so each poll that dispatched something says when that is.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core import registry
from core.backend import Backend
from core.calendar import SAO_PAULO, today_in_sao_paulo
from core.schedules import SCHEDULES, Schedule, next_fire_time
from core.storage import LocalObjectStore
from ingestion.manifest import FileManifest, read_manifests
from jobs.aurora_extract import extract_day
from jobs.sla_check import run_sla_check
from orchestration.dispatcher import dispatch_object_created
from orchestration.pipeline import run_day

log = logging.getLogger("lakehouse.serve")
GOLD_SCHEDULE = "daily-run"  # the schedule whose job builds and publishes gold
Clock = Callable[[], dt.datetime]
JobRunner = Callable[[Backend, str], object]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


@dataclass
class LandingWatcher:
    """Dispatches an ObjectCreated event for every landing object that is new or changed since last seen."""

    backend: Backend
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def store(self) -> LocalObjectStore:
        return LocalObjectStore(self.backend.layout.root)

    def poll(self) -> list[str]:
        dispatched = []
        for info in self.store.list("landing"):
            stat = self.store.path(info.key).stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            if self.seen.get(info.key) == signature:
                continue
            self.seen[info.key] = signature
            try:
                if self._dispatch(info.key):
                    dispatched.append(info.key)
            except Exception:  # one bad delivery never stops the watcher
                log.exception("event for %s failed", info.key)
        return dispatched

    def _dispatch(self, key: str) -> bool:
        """Dispatches ``key`` and logs the outcome of every file it processed; False when no route takes it."""
        day_of_source = _source_day(key)
        before = self._manifests(*day_of_source) if day_of_source else {}
        answer = dispatch_object_created(self.backend, key)
        if answer is None:
            return False
        after = self._manifests(*day_of_source) if day_of_source else {}
        changed = [manifest for file_id, manifest in sorted(after.items()) if before.get(file_id) != manifest]
        for manifest in changed:
            log.info(describe_manifest(manifest))
        if not any(manifest.key == key for manifest in changed):
            unchanged = next((manifest for manifest in after.values() if manifest.key == key), None)
            if unchanged is None:
                log.info(describe_answer(key, answer))
            else:
                log.info(describe_manifest(unchanged) + "; a repeated event, nothing changed")
        return True

    def _manifests(self, source: str, day: str) -> dict[str, FileManifest]:
        return {manifest.file_id: manifest for manifest in read_manifests(self.store, source, day)}


def _source_day(key: str) -> tuple[str, str] | None:
    """(source, day) of a landing key, by the registry's landing patterns."""
    for item in registry.SOURCES:
        pattern = item.landing_regex()
        if pattern is not None and (match := pattern.match(key)):
            return item.name, match["day"]
    return None


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def describe_manifest(manifest: FileManifest) -> str:
    """``landed <key>: 2,000 rows read, 1,990 landed, 10 quarantined (idade:invalid=10)``."""
    line = (
        f"{manifest.status} {manifest.key}: {_rows(manifest.rows_read)} read, "
        f"{manifest.rows_landed:,} landed, {manifest.rows_quarantined:,} quarantined"
    )
    reasons = ", ".join(f"{reason}={count:,}" for reason, count in manifest.quarantined_by_reason.items())
    details = [part for part in (reasons, manifest.reason) if part]
    return line + (f" ({'; '.join(details)})" if details else "")


def describe_answer(key: str, answer: object) -> str:
    """The handler's own word on a file it did not process yet: ``waiting <key>: clientes.json: missing``."""
    outcomes = answer if isinstance(answer, list) else [answer]
    for outcome in outcomes:
        if isinstance(outcome, dict) and outcome.get("key") == key:
            action = outcome.get("action") or outcome.get("status") or "handled"
            detail = outcome.get("detail") or outcome.get("reason")
            return f"{action} {key}" + (f": {detail}" if detail else "")
    return f"handled {key}"


def scheduled_jobs() -> dict[str, JobRunner]:
    """Schedule job name -> what runs it on this machine."""
    return {"aurora_extract": extract_day, "run": run_day, "positional_sla_check": run_sla_check}


@dataclass
class Scheduler:
    schedules: tuple[Schedule, ...]
    jobs: dict[str, JobRunner]
    next_times: dict[str, dt.datetime] = field(default_factory=dict)

    def start(self, now: dt.datetime) -> None:
        self.next_times = {item.name: next_fire_time(item, now) for item in self.schedules}

    def due(self, now: dt.datetime) -> list[Schedule]:
        fired = [item for item in self.schedules if self.next_times[item.name] <= now]
        for item in fired:
            self.next_times[item.name] = next_fire_time(item, now)
        return fired

    def next_time(self, name: str) -> dt.datetime | None:
        return self.next_times.get(name)

    def fire(self, backend: Backend, item: Schedule, now: dt.datetime) -> None:
        job = self.jobs.get(item.job)
        if job is None:
            log.error("schedule %s names no local job %s", item.name, item.job)
            return
        day = today_in_sao_paulo(now).isoformat()
        log.info("schedule %s firing for %s", item.name, day)
        try:
            job(backend, day)
        except Exception:
            log.exception("schedule %s failed", item.name)


def gold_refresh_note(next_run: dt.datetime | None, days: set[str]) -> str:
    """When files of ``days`` reach gold: the next daily run builds its own Sao Paulo day; any other day
    needs `lakehouse run --date D`."""
    if next_run is None:
        return "gold refreshes when `lakehouse run` runs (no daily-run schedule is declared)"
    local = next_run.astimezone(SAO_PAULO)
    run_day_text = local.date().isoformat()
    note = f"gold refreshes at the next {GOLD_SCHEDULE}, {local:%Y-%m-%d %H:%M} America/Sao_Paulo, for {run_day_text}"
    others = sorted(days - {run_day_text})
    if others:
        commands = ", ".join(f"`lakehouse run --date {day}`" for day in others)
        note += f"; files of {', '.join(others)} reach gold only with {commands}"
    return note


def serve(
    backend: Backend,
    *,
    poll_seconds: float = 2.0,
    clock: Clock = _utc_now,
    sleep: Callable[[float], None] = time.sleep,
    iterations: int | None = None,
) -> None:
    """Runs until interrupted (or for ``iterations`` polls, for tests)."""
    watcher = LandingWatcher(backend)
    scheduler = Scheduler(SCHEDULES, scheduled_jobs())
    scheduler.start(clock())
    count = 0
    while iterations is None or count < iterations:
        dispatched = watcher.poll()
        if dispatched:
            days = {found[1] for key in dispatched if (found := _source_day(key))}
            log.info(gold_refresh_note(scheduler.next_time(GOLD_SCHEDULE), days))
        now = clock()
        for item in scheduler.due(now):
            scheduler.fire(backend, item, now)
        count += 1
        if iterations is None or count < iterations:
            sleep(poll_seconds)
