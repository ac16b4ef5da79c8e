"""The long-running local mode: the landing zone watched like S3 notifications, and the declared
schedules (core.schedules) fired at their Sao Paulo times, all in one process."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.backend import Backend
from core.calendar import today_in_sao_paulo
from core.schedules import SCHEDULES, Schedule, next_fire_time
from core.storage import LocalObjectStore
from jobs.aurora_extract import extract_day
from jobs.sla_check import run_sla_check
from orchestration.dispatcher import dispatch_object_created
from orchestration.pipeline import run_day
from orchestration.run_lock import lake_writer_lock

log = logging.getLogger("lakehouse.serve")
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
                if dispatch_object_created(self.backend, info.key) is not None:
                    dispatched.append(info.key)
            except Exception:  # one bad delivery never stops the watcher
                log.exception("event for %s failed", info.key)
        return dispatched


def locked_run(backend: Backend, day: str) -> object:
    """The scheduled daily run takes the lake's writer lock like `lakehouse run` (a busy lake: logged, skipped)."""
    with lake_writer_lock(backend.layout.root, "serve: daily run"):
        return run_day(backend, day)


def scheduled_jobs() -> dict[str, JobRunner]:
    """Schedule job name -> what runs it on this machine."""
    return {"aurora_extract": extract_day, "run": locked_run, "positional_sla_check": run_sla_check}


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
        watcher.poll()
        now = clock()
        for item in scheduler.due(now):
            scheduler.fire(backend, item, now)
        count += 1
        if iterations is None or count < iterations:
            sleep(poll_seconds)
