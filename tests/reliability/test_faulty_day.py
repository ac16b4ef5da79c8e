"""A day delivered badly, then a run killed during dbt, then the day fixed: the cases of issue 11 that need
whole runs (items 2, 3, 6, 9 and "no gold after a crash"), sharing one lake and as few runs as possible.

1. A client CSV with ``,`` instead of ``|`` and a positional file missing: the run fails (exit 1), names
   both, lands the two good client files anyway and publishes gold from them.
2. A second run is started; while its dbt runs, ``lakehouse query`` answers, a third ``run`` is refused
   with exit 3; then it is SIGKILLed: its dbt and Spark processes die with it.
3. A mistyped ``extract aurora --tables nope`` fails clearly and changes nothing for later runs.
4. The corrected CSV and the missing file arrive, but the run that claims the client-health day is
   killed holding the claim; the next run recovers the claim, lands the day once and succeeds.
5. A partner job crashes: the run fails, dbt and gold publication are skipped, the old gold stays.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from core.gate import LocalDayGate
from core.storage import LocalObjectStore
from ingestion.aurora.demo_db import DemoKeys, create_demo_database
from ingestion.aurora.extract import demo_database_path
from ingestion.client_health.landing import EXPECTED
from ingestion.client_health.sample_data import write_client_health_day
from ingestion.partner_csv.sample_data import employee_ids, write_partner_day
from ingestion.positional.layout import layout_for_filename
from ingestion.positional.sample_data import write_sample_day
from orchestration.cli import app

pytestmark = [pytest.mark.spark, pytest.mark.slow]
DAY = "2025-05-12"
ROWS = 40
runner = CliRunner()


class Day:
    def __init__(self, lake: Path) -> None:
        self.lake = lake
        self.reports: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, str] = {}
        self.missing_positional = ""

    @property
    def client_csv(self) -> Path:
        return self.lake / "landing" / "client_health" / DAY / "clientes.csv"

    def run(self, name: str) -> dict[str, Any]:
        result = runner.invoke(app, ["run", "--lake", str(self.lake), "--date", DAY])
        report = json.loads((self.lake / "reports" / f"run-{DAY}.json").read_text())
        assert result.exit_code == (0 if report["status"] == "succeeded" else 1), result.output
        self.reports[name], self.outputs[name] = report, result.output
        return report


def _rows_lost(report: dict[str, Any]) -> int:
    return sum(
        item["rows_read"] - item["rows_landed"] - item["rows_quarantined"]
        for summary in report["sources"].values()
        for item in summary["file_details"]
        if "rows_read" in item
    )


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, spark: object) -> Day:
    lake = tmp_path_factory.mktemp("faulty") / "lake"
    landing, date = lake / "landing", dt.date.fromisoformat(DAY)
    write_partner_day(landing, date, ROWS, 7)
    write_client_health_day(landing, date, 50, 7)
    positional = write_sample_day(LocalObjectStore(lake), DAY, 50, 7)
    create_demo_database(demo_database_path(lake), DAY, 50, 7, DemoKeys(employee_ids=employee_ids(ROWS, date)))
    state = Day(lake)
    (lake / "held-back").mkdir()
    missing = lake / positional[0]
    missing.rename(lake / "held-back" / missing.name)
    state.missing_positional = missing.name
    good_csv = state.client_csv.read_bytes()
    (lake / "held-back" / "clientes.csv").write_bytes(good_csv)
    state.client_csv.write_bytes(good_csv.replace(b"|", b","))  # the wrong delimiter
    return state


@pytest.fixture(scope="module")
def first_run(day: Day) -> dict[str, Any]:
    return day.run("first")


def test_a_bad_file_and_a_missing_one_fail_the_run_and_are_named(day: Day, first_run: dict[str, Any]) -> None:
    assert first_run["status"] == "failed"
    client = first_run["sources"]["client_health"]
    csv_key = f"landing/client_health/{DAY}/clientes.csv"
    assert client["status"] == "failed" and client["quarantined_files"] == [csv_key]
    assert client["day_gate"]["rejected"].keys() == {"clientes.csv"}
    positional = first_run["sources"]["positional"]
    missing_layout = layout_for_filename(day.missing_positional).name
    assert positional["status"] == "failed" and positional["day_gate"]["missing"] == [missing_layout]
    output = day.outputs["first"]
    assert csv_key in output and f"{missing_layout} missing" in output
    assert "files quarantined" in output


def test_the_good_files_of_the_day_still_land_and_reach_gold(day: Day, first_run: dict[str, Any]) -> None:
    client = first_run["sources"]["client_health"]
    outcomes = {item["file"].rsplit("/", 1)[-1]: item["status"] for item in client["file_details"]}
    assert outcomes == {"clientes.csv": "quarantined", "clientes.json": "landed", "clientes.parquet": "landed"}
    delivered = pq.read_metadata(day.lake / "landing" / "client_health" / DAY / "clientes.parquet").num_rows
    delivered += len((day.lake / "landing" / "client_health" / DAY / "clientes.json").read_text().splitlines())
    assert client["rows_landed"] + client["rows_quarantined"] == client["rows_read"] == delivered
    gold = {item["table"]: item["rows"] for item in first_run["gold"]}
    assert gold["gold.client_health"] > 0
    assert _rows_lost(first_run) == 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        children = [child for parent in frontier for child in _children(parent)]
        found += children
        frontier = children
    return found


def _gone(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _wait(condition: Callable[[], object], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return None


@pytest.fixture(scope="module")
def killed_run(day: Day, first_run: dict[str, Any]) -> dict[str, Any]:
    """A run SIGKILLed while dbt runs; what readers and writers saw meanwhile."""
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--lake", str(day.lake), "--date", DAY],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: dict[str, Any] = {}
    try:
        dbt = _wait(
            lambda: next((pid for pid in _children(process.pid) if "dbt.cli.main" in _cmdline(pid)), None), 900
        )
        assert dbt, "the run never reached dbt"
        seen["query"] = runner.invoke(
            app, ["query", "--lake", str(day.lake), "--format", "json", "select count(*) as n from gold.client_health"]
        )
        seen["second_run"] = runner.invoke(app, ["run", "--lake", str(day.lake), "--date", DAY])
        seen["descendants"] = _descendants(process.pid)
        seen["commands"] = {pid: _cmdline(pid) for pid in seen["descendants"]}
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        seen["orphans"] = [pid for pid in seen["descendants"] if not _wait(lambda pid=pid: _gone(pid), 60)]
    finally:
        process.kill()
    return seen


def test_a_query_during_a_run_reads_published_gold(first_run: dict[str, Any], killed_run: dict[str, Any]) -> None:
    result = killed_run["query"]
    assert result.exit_code == 0, result.output
    published = {item["table"]: item["rows"] for item in first_run["gold"]}["gold.client_health"]
    assert json.loads(result.output) == [{"n": published}]


def test_a_second_run_on_a_busy_lake_is_refused_at_once(killed_run: dict[str, Any]) -> None:
    result = killed_run["second_run"]
    assert result.exit_code == 3, result.output
    assert "another run holds the lake" in result.output


def test_dbt_and_spark_die_with_a_killed_run(killed_run: dict[str, Any]) -> None:
    commands = killed_run["commands"].values()
    assert any("dbt.cli.main" in command for command in commands)
    assert any("java" in command for command in commands)  # the local Spark JVM
    assert killed_run["orphans"] == [], {pid: killed_run["commands"][pid] for pid in killed_run["orphans"]}


def test_a_mistyped_aurora_table_never_fails_a_later_run(day: Day, killed_run: dict[str, Any]) -> None:
    result = runner.invoke(app, ["extract", "aurora", "--lake", str(day.lake), "--date", DAY, "--tables", "nope"])
    assert result.exit_code == 1 and "'nope'" in result.output
    assert not list((day.lake / "reports" / "manifests" / "aurora" / DAY).glob("nope*"))


def _claim_and_die(lake: str) -> None:
    """The run that receives the corrected CSV claims the client-health day, then is killed."""
    gate = LocalDayGate(Path(lake))
    assert gate.record_arrival("client_health", DAY, "clientes.csv", EXPECTED)
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture(scope="module")
def recovered_run(day: Day, killed_run: dict[str, Any]) -> dict[str, Any]:
    runner.invoke(app, ["extract", "aurora", "--lake", str(day.lake), "--date", DAY, "--tables", "nope"])
    for held in (day.lake / "held-back").iterdir():
        target = day.client_csv if held.name == "clientes.csv" else day.lake / "landing" / "positional" / DAY / held.name
        target.write_bytes(held.read_bytes())
    crash = multiprocessing.get_context("fork").Process(target=_claim_and_die, args=(str(day.lake),))
    crash.start()
    crash.join(timeout=60)
    assert crash.exitcode == -signal.SIGKILL
    assert LocalDayGate(day.lake).status("client_health", DAY, EXPECTED).claimed
    return day.run("recovered")


def test_the_day_completes_once_on_the_run_after_a_crash(day: Day, recovered_run: dict[str, Any]) -> None:
    assert recovered_run["status"] == "succeeded", json.dumps(recovered_run["sources"], indent=1)[:3000]
    client = recovered_run["sources"]["client_health"]
    assert {item["status"] for item in client["file_details"]} == {"landed"}
    assert client["day_gate"]["complete"] and client["day_gate"]["job_run_id"]
    claim = json.loads((day.lake / "reports" / "gates" / "client_health" / DAY / "claim.json").read_text())
    assert claim["recovered_from"]["owner"]["pid"] != os.getpid()
    assert recovered_run["sources"]["positional"]["status"] == "ok"
    assert recovered_run["sources"]["aurora"]["status"] == "ok"  # the mistyped extraction left nothing
    assert _rows_lost(recovered_run) == 0


def test_every_run_keeps_its_own_report_in_sao_paulo_time(day: Day, recovered_run: dict[str, Any]) -> None:
    reports = [json.loads(path.read_text()) for path in sorted((day.lake / "reports" / "runs" / DAY).glob("*.json"))]
    assert [report["status"] for report in reports] == ["failed", "succeeded"]  # the killed run wrote none
    assert reports[-1]["run_id"] == recovered_run["run_id"]
    assert recovered_run["finished_at"].endswith("-03:00")
    records = list((day.lake / "reports" / "commands" / DAY).glob("extract-aurora-*.json"))
    assert records and {json.loads(record.read_text())["status"] for record in records} == {"failed"}


def test_no_gold_after_a_crashed_ingestion_job(
    day: Day, recovered_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import glue_jobs.partner_csv_to_bronze as partner_job

    def out_of_memory(_argv: object = None) -> None:
        raise ConnectionRefusedError("[Errno 111] Connection refused (the Spark driver died)")

    gold = day.lake / "gold"
    published = {link.name: os.readlink(link) for link in gold.iterdir() if link.is_symlink()}
    monkeypatch.setattr(partner_job, "main", out_of_memory)
    extra = day.lake / "landing" / "sftp" / "acme" / DAY / "late.csv"
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text("id_funcionario,nome,cpf,idade,ativo,salario,data_referencia\n9001,Ana,,30,true,10.00,2025-05-01\n")
    report = day.run("crashed")
    assert report["status"] == "failed"
    partner = report["sources"]["partner_csv"]
    assert partner["crashed"] and any(
        item["status"] == "failed" and item["file"].endswith("late.csv") for item in partner["file_details"]
    )
    assert report["gold"].startswith("not published: ingestion crashed (partner_csv)")
    assert report["dbt"]["models"] == {}
    assert {link.name: os.readlink(link) for link in gold.iterdir() if link.is_symlink()} == published
    queried = runner.invoke(app, ["query", "--lake", str(day.lake), "--format", "json", "select count(*) as n from gold.salary_averages"])
    assert queried.exit_code == 0 and json.loads(queried.output)[0]["n"] > 0
