"""The long-running mode: landing files become events once, schedules fire at their Sao Paulo time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ingestion.calendar import SAO_PAULO
from ingestion.settings import Settings
from ingestion.storage import LocalObjectStore
from orchestration.schedules import SCHEDULES
from orchestration.serve import LandingWatcher, Scheduler


def test_watcher_dispatches_new_and_changed_files_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_LAKE", str(tmp_path))
    upload = tmp_path / "landing" / "sftp" / "acme" / "2025-03-10" / "wrong.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("id,nome\n1,a\n")
    (tmp_path / "landing" / "elsewhere.txt").write_text("no route")
    watcher = LandingWatcher(LocalObjectStore(tmp_path))

    assert watcher.poll() == ["landing/sftp/acme/2025-03-10/wrong.csv"]
    assert watcher.poll() == []
    reason = tmp_path / "quarantine" / "partner_csv" / "2025-03-10" / "files" / "acme~~wrong.csv" / "reason.json"
    assert "header lacks required column id_funcionario" in reason.read_text()

    upload.write_text("id,nome\n1,a\n2,b\n")
    assert watcher.poll() == ["landing/sftp/acme/2025-03-10/wrong.csv"]


def test_schedules_fire_at_sao_paulo_times_for_the_sao_paulo_day() -> None:
    calls: list[tuple[str, str]] = []
    jobs = {item.job: (lambda _settings, day, job=item.job: calls.append((job, day))) for item in SCHEDULES}
    scheduler = Scheduler(SCHEDULES, jobs)
    start = dt.datetime(2025, 3, 10, 5, 0, tzinfo=dt.UTC)  # 02:00 in Sao Paulo (UTC-3)
    scheduler.start(start)
    settings = Settings()

    for minutes in range(0, 24 * 60, 10):
        now = start + dt.timedelta(minutes=minutes)
        for item in scheduler.due(now):
            scheduler.fire(settings, item, now)

    assert calls == [
        ("aurora_extract", "2025-03-10"),
        ("positional_sla_check", "2025-03-10"),
        ("run", "2025-03-10"),
        # 02:00 UTC of the 11th is still 23:00 of the 10th in Sao Paulo: the day is Sao Paulo's.
    ]
    assert scheduler.next_times["aurora-extract"] == dt.datetime(2025, 3, 11, 3, 0, tzinfo=SAO_PAULO)
