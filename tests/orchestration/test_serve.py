"""The long-running mode: landing files become events once, schedules fire at their Sao Paulo time."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import pytest

from core.backend import build_backend
from core.calendar import SAO_PAULO
from core.schedules import SCHEDULES
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.positional.sample_data import write_sample_day
from orchestration.serve import LandingWatcher, Scheduler, describe_answer, gold_refresh_note, serve


def test_watcher_dispatches_new_and_changed_files_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upload = tmp_path / "landing" / "sftp" / "acme" / "2025-03-10" / "wrong.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("id,nome\n1,a\n")
    (tmp_path / "landing" / "elsewhere.txt").write_text("no route")
    watcher = LandingWatcher(build_backend(Settings(lake=tmp_path)))

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
    backend = build_backend(Settings(lake=Path('unused')))

    for minutes in range(0, 24 * 60, 10):
        now = start + dt.timedelta(minutes=minutes)
        for item in scheduler.due(now):
            scheduler.fire(backend, item, now)

    assert calls == [
        ("aurora_extract", "2025-03-10"),
        ("positional_sla_check", "2025-03-10"),
        ("run", "2025-03-10"),
        # 02:00 UTC of the 11th is still 23:00 of the 10th in Sao Paulo: the day is Sao Paulo's.
    ]
    assert scheduler.next_times["aurora-extract"] == dt.datetime(2025, 3, 11, 3, 0, tzinfo=SAO_PAULO)


def test_each_dispatched_file_gets_one_outcome_line_and_the_gold_refresh_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lake = tmp_path / "lake"
    samples = tmp_path / "samples"
    written = write_sample_day(LocalObjectStore(samples), "2025-03-10", 60, 7)
    catalog_key = next(key for key in written if "PLANOS" in key)  # the clean plan catalog
    (lake / catalog_key).parent.mkdir(parents=True)
    shutil.copy(samples / catalog_key, lake / catalog_key)
    rejected = lake / "landing" / "sftp" / "acme" / "2025-03-10" / "wrong.csv"
    rejected.parent.mkdir(parents=True)
    rejected.write_text("id,nome\n1,a\n")
    backend = build_backend(Settings(lake=lake))
    before_daily_run = dt.datetime(2025, 3, 10, 15, 0, tzinfo=dt.UTC)  # 12:00 in Sao Paulo

    with caplog.at_level(logging.INFO, logger="lakehouse.serve"):
        serve(backend, clock=lambda: before_daily_run, sleep=lambda _seconds: None, iterations=2)

    lines = [record.getMessage() for record in caplog.records if record.name == "lakehouse.serve"]
    (manifest,) = (lake / "reports" / "manifests" / "positional" / "2025-03-10").glob("*.json")
    catalog = json.loads(manifest.read_text())
    assert [line for line in lines if catalog_key in line] == [
        f"landed {catalog_key}: {catalog['rows_read']:,} rows read, {catalog['rows_landed']:,} landed, 0 quarantined"
    ]
    assert catalog["rows_read"] > 0
    rejected_lines = [line for line in lines if "wrong.csv" in line]
    assert len(rejected_lines) == 1
    assert rejected_lines[0].startswith(
        "quarantined landing/sftp/acme/2025-03-10/wrong.csv: 1 row read, 0 landed, 1 quarantined (file:rejected=1; "
    )
    assert "header lacks required column" in rejected_lines[0]
    # One note per poll that dispatched something (the second poll finds nothing new).
    assert [line for line in lines if line.startswith("gold refreshes")] == [
        "gold refreshes at the next daily-run, 2025-03-10 23:00 America/Sao_Paulo, for 2025-03-10"
    ]


def test_the_gold_note_names_the_command_for_a_day_the_next_daily_run_does_not_build() -> None:
    next_run = dt.datetime(2025, 3, 11, 23, 0, tzinfo=SAO_PAULO)
    assert gold_refresh_note(next_run, {"2025-03-10", "2025-03-11"}) == (
        "gold refreshes at the next daily-run, 2025-03-11 23:00 America/Sao_Paulo, for 2025-03-11; "
        "files of 2025-03-10 reach gold only with `lakehouse run --date 2025-03-10`"
    )


def test_a_gated_file_says_what_the_day_still_waits_for() -> None:
    answer = [{"key": "landing/client_health/2025-03-10/clientes.csv", "action": "waiting", "detail": "clientes.json: missing"}]
    assert describe_answer("landing/client_health/2025-03-10/clientes.csv", answer) == (
        "waiting landing/client_health/2025-03-10/clientes.csv: clientes.json: missing"
    )
