"""Arrival of client files: the day gate starts the job exactly once, bad files are quarantined and reported."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from core.backend import build_backend, with_launcher
from core.gate import LocalDayGate
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.client_health.contract import FILE_NAMES, SOURCE, landing_key
from ingestion.client_health.landing import (
    EXPECTED,
    day_status,
    describe,
    gate_report,
    handle_arrival,
    land_arrived_files,
)
from ingestion.client_health.sample_data import write_client_health_day
from ingestion.manifest import read_manifest
from orchestration.dispatcher import dispatch_object_created

DAY = "2025-03-10"


class RecordingLauncher:
    def __init__(self) -> None:
        self.runs: list[tuple[str, dict[str, str]]] = []

    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
        self.runs.append((job_name, arguments))
        return f"jr_{len(self.runs)}"


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    write_client_health_day(tmp_path / "landing", dt.date.fromisoformat(DAY), rows=60, seed=3)
    return tmp_path


def _arrive(lake: Path, launcher: RecordingLauncher, fmt: str, key: str | None = None) -> str:
    store = LocalObjectStore(lake)
    key = key or landing_key(DAY, fmt)
    info = store.head(key)
    outcome = handle_arrival(
        store, LocalDayGate(lake), launcher, lake_uri=str(lake), job_name="client-health-to-bronze",
        key=key, size=info.size, etag=info.etag, event_time="2025-03-10T09:10:00.000Z",
    )  # fmt: skip
    return outcome.action


def test_the_job_starts_once_when_the_third_file_is_in(lake: Path) -> None:
    launcher = RecordingLauncher()
    actions = [_arrive(lake, launcher, fmt) for fmt in ("json", "parquet", "csv")]
    assert actions == ["waiting", "waiting", "job_started"]
    assert launcher.runs == [
        (
            "client-health-to-bronze",
            {"--lake_uri": str(lake), "--day": DAY, "--ingested_at": "2025-03-10T09:10:00.000Z"},
        )
    ]
    # Duplicate events, in any order, start nothing more.
    assert [_arrive(lake, launcher, fmt) for fmt in ("csv", "json", "parquet", "csv")] == ["waiting"] * 4
    assert len(launcher.runs) == 1
    assert describe(day_status(LocalDayGate(lake), DAY)) == "job started (jr_1)"


def test_a_bad_file_is_quarantined_and_the_day_waits_for_a_good_one(lake: Path) -> None:
    launcher = RecordingLauncher()
    csv_path = lake / landing_key(DAY, "csv")
    good = csv_path.read_bytes()
    csv_path.write_bytes(good.replace(b"nome|cpf|", b"nome|documento|", 1))
    assert [_arrive(lake, launcher, fmt) for fmt in ("parquet", "csv", "json")] == [
        "waiting",
        "quarantined",
        "waiting",
    ]
    assert launcher.runs == []

    status = day_status(LocalDayGate(lake), DAY)
    assert status.missing == ["clientes.csv"]
    assert (
        "clientes.csv: bad (landing/client_health/2025-03-10/clientes.csv: line 1: header lacks required"
        " column cpf" in describe(status)
    )
    quarantined = lake / "quarantine" / SOURCE / DAY / "files" / "clientes.csv"
    assert (quarantined / "clientes.csv").read_bytes() == csv_path.read_bytes()
    assert "header lacks required column cpf" in json.loads((quarantined / "reason.json").read_text())["reason"]
    manifest = read_manifest(LocalObjectStore(lake), SOURCE, DAY, "clientes.csv")
    assert manifest is not None and manifest.status == "quarantined"

    report = gate_report(LocalDayGate(lake), DAY)
    assert (report["complete"], report["missing"], sorted(report["rejected"])) == (
        False,
        [],
        ["clientes.csv"],
    )

    csv_path.write_bytes(good)  # the partner re-sends the file
    assert _arrive(lake, launcher, "csv") == "job_started"
    assert len(launcher.runs) == 1


@pytest.mark.parametrize(
    ("fmt", "content", "reason"),
    [
        ("parquet", b"nome;cpf\n", "not a Parquet file"),
        ("json", b"nome,cpf\n", "neither JSON Lines nor a JSON array"),
        ("json", b"", "empty file"),
    ],
)
def test_files_that_are_not_what_their_name_says_are_rejected(
    lake: Path, fmt: str, content: bytes, reason: str
) -> None:
    (lake / landing_key(DAY, fmt)).write_bytes(content)
    assert _arrive(lake, RecordingLauncher(), fmt) == "quarantined"
    assert reason in day_status(LocalDayGate(lake), DAY).rejected[FILE_NAMES[fmt]]


def test_an_unexpected_file_name_is_quarantined_without_touching_the_gate(lake: Path) -> None:
    key = f"landing/client_health/{DAY}/clientes_extra.csv"
    (lake / key).write_bytes(b"x")
    assert _arrive(lake, RecordingLauncher(), "csv", key) == "quarantined"
    assert day_status(LocalDayGate(lake), DAY).missing == sorted(EXPECTED)
    assert (
        lake / "quarantine" / SOURCE / DAY / "files" / "clientes_extra.csv" / "clientes_extra.csv"
    ).exists()


def test_the_lambda_handler_takes_s3_events_through_the_dispatcher(
    lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launcher = RecordingLauncher()
    backend = with_launcher(build_backend(Settings(lake=lake)), launcher)
    outcomes = [dispatch_object_created(backend, landing_key(DAY, fmt)) for fmt in ("csv", "json", "parquet")]
    assert [outcome[0]["action"] for outcome in outcomes] == ["waiting", "waiting", "job_started"]
    assert launcher.runs[0][0] == "client-health-to-bronze"
    assert launcher.runs[0][1]["--lake_uri"] == str(lake.resolve())


def test_at_run_time_the_good_files_of_an_incomplete_day_land_and_the_day_stays_open(lake: Path) -> None:
    csv = lake / landing_key(DAY, "csv")
    good = csv.read_bytes()
    csv.write_bytes(good.replace(b"|", b","))  # the wrong delimiter: rejected on arrival
    launcher = RecordingLauncher()
    assert [_arrive(lake, launcher, fmt) for fmt in ("json", "parquet", "csv")] == ["waiting", "waiting", "quarantined"]

    status = land_arrived_files(
        LocalDayGate(lake), launcher, lake_uri=str(lake), job_name="job", day=DAY, ingested_at="t"
    )
    assert status.rejected.keys() == {"clientes.csv"}
    assert launcher.runs == [
        ("job", {"--lake_uri": str(lake), "--day": DAY, "--ingested_at": "t", "--formats": "parquet,json"})
    ]
    csv.write_bytes(good)  # the corrected delivery still starts the whole day's job, once
    assert _arrive(lake, launcher, "csv") == "job_started"
    land_arrived_files(LocalDayGate(lake), launcher, lake_uri=str(lake), job_name="job", day=DAY, ingested_at="t")
    assert [arguments.get("--formats") for _job, arguments in launcher.runs] == ["parquet,json", None]
