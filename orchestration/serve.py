"""The long-running local mode: the landing zone watched like S3 notifications, and the declared
schedules (orchestration.schedules) fired at their Sao Paulo times, all in one process."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.calendar import today_in_sao_paulo
from ingestion.settings import Settings
from ingestion.storage import LocalObjectStore
from orchestration.dispatcher import dispatch_object_created
from orchestration.schedules import SCHEDULES, Schedule, next_fire_time

log = logging.getLogger("lakehouse.serve")
Clock = Callable[[], dt.datetime]
JobRunner = Callable[[Settings, str], object]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


@dataclass
class LandingWatcher:
    """Dispatches an ObjectCreated event for every landing object that is new or changed since last seen."""

    store: LocalObjectStore
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)

    def poll(self) -> list[str]:
        dispatched = []
        for info in self.store.list("landing"):
            stat = self.store.path(info.key).stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            if self.seen.get(info.key) == signature:
                continue
            self.seen[info.key] = signature
            try:
                if dispatch_object_created(self.store, info.key) is not None:
                    dispatched.append(info.key)
            except Exception:  # one bad delivery never stops the watcher
                log.exception("event for %s failed", info.key)
        return dispatched


def locked_run(settings: Settings, day: str) -> object:
    """The scheduled daily run takes the lake's writer lock like `lakehouse run` (a busy lake: logged, skipped)."""
    from orchestration.pipeline import run_day
    from orchestration.run_lock import lake_writer_lock

    with lake_writer_lock(settings.lake.resolve(), "serve: daily run"):
        return run_day(settings, day)


def scheduled_jobs() -> dict[str, JobRunner]:
    from orchestration.sources import extract_aurora

    jobs: dict[str, JobRunner] = {"aurora_extract": extract_aurora, "run": locked_run}
    try:
        from orchestration.sla import run_sla_check
    except ImportError:
        return jobs
    jobs["positional_sla_check"] = run_sla_check
    return jobs


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

    def fire(self, settings: Settings, item: Schedule, now: dt.datetime) -> None:
        job = self.jobs.get(item.job)
        if job is None:
            log.error("schedule %s names no local job %s", item.name, item.job)
            return
        day = today_in_sao_paulo(now).isoformat()
        log.info("schedule %s firing for %s", item.name, day)
        try:
            job(settings, day)
        except Exception:
            log.exception("schedule %s failed", item.name)


def serve(
    settings: Settings,
    *,
    poll_seconds: float = 2.0,
    clock: Clock = _utc_now,
    sleep: Callable[[float], None] = time.sleep,
    iterations: int | None = None,
) -> None:
    """Runs until interrupted (or for ``iterations`` polls, for tests)."""
    lake_root: Path = settings.lake.resolve()
    watcher = LandingWatcher(LocalObjectStore(lake_root))
    scheduler = Scheduler(SCHEDULES, scheduled_jobs())
    scheduler.start(clock())
    count = 0
    while iterations is None or count < iterations:
        watcher.poll()
        now = clock()
        for item in scheduler.due(now):
            scheduler.fire(settings, item, now)
        count += 1
        if iterations is None or count < iterations:
            sleep(poll_seconds)
