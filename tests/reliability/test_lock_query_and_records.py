"""Fault injection without a full run: the lake lock, the read-only query, child processes, gold versions,
run and command records, a mistyped Aurora table (issue 11, items 6, 8 and 9)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from core.calendar import SAO_PAULO
from core.child_processes import die_with_this_process
from core.gate import GateStatus
from core.query import DuckDbQueryEngine
from core.run_lock import LakeBusyError, lake_writer_lock
from core.storage import LocalObjectStore
from ingestion.aurora.extract import UnknownTablesError, extract_tables
from ingestion.manifest import FileManifest
from orchestration.cli import app
from orchestration.report import GateCheck, source_summary, write_command_report, write_report
from serving.gold_publication import publish_gold

runner = CliRunner()
DAY = "2025-03-10"


def _wait_until(condition: object, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


# --- one run per lake ------------------------------------------------------------------------------------


def test_a_second_writer_is_refused_at_once_with_exit_code_3(tmp_path: Path) -> None:
    with lake_writer_lock(tmp_path, "run"):
        with pytest.raises(LakeBusyError, match="another run holds the lake"), lake_writer_lock(tmp_path, "run"):
            pass
        for command in ("run", "demo"):
            result = runner.invoke(app, [command, "--lake", str(tmp_path), "--date", DAY])
            assert result.exit_code == 3, result.output
            assert "another run holds the lake" in result.output and f"pid {os.getpid()}" in result.output
    with lake_writer_lock(tmp_path, "run"):  # released when the holder is done
        pass


def _lock_and_die(root: str) -> None:
    with lake_writer_lock(Path(root), "run"):
        os.kill(os.getpid(), signal.SIGKILL)


def test_the_lock_of_a_killed_run_is_released_by_the_kernel(tmp_path: Path) -> None:
    process = multiprocessing.get_context("fork").Process(target=_lock_and_die, args=(str(tmp_path),))
    process.start()
    process.join(timeout=60)
    assert process.exitcode == -signal.SIGKILL
    with lake_writer_lock(tmp_path, "run"):
        pass


def test_a_child_process_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        "from core.child_processes import die_with_this_process\n"
        "child = subprocess.Popen(['sleep', '300'], preexec_fn=die_with_this_process())\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(300)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert _wait_until(lambda: pid_file.exists() and pid_file.read_text().strip())
        child = int(pid_file.read_text())
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert _wait_until(lambda: not Path(f"/proc/{child}").exists() or _zombie(child)), "orphan child left"
    finally:
        parent.kill()
    assert die_with_this_process() is not None


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# --- lakehouse query: read-only, inside the lake, never blocked by a run ---------------------------------


@pytest.fixture
def small_lake(tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    (lake / "gold" / "salary_averages").mkdir(parents=True)
    (lake / "sftp").mkdir()
    (lake / "sftp" / "host_key").write_text("secret")
    target = lake / "gold" / "salary_averages" / "data_0.parquet"
    with duckdb.connect(str(lake / "catalog.duckdb")) as connection:
        connection.execute(f"COPY (SELECT 30 AS idade, 1000.0 AS salario_medio) TO '{target}' (FORMAT parquet)")
        connection.execute("CREATE SCHEMA gold")
        connection.execute(
            f"CREATE VIEW gold.salary_averages AS SELECT * FROM read_parquet('{lake}/gold/salary_averages/*.parquet')"
        )
    DuckDbQueryEngine(lake / "catalog.duckdb").refresh()
    return lake


def _query(lake: Path, sql: str) -> tuple[int, str]:
    result = runner.invoke(app, ["query", "--lake", str(lake), "--format", "json", sql])
    return result.exit_code, result.output


def test_query_reads_published_gold_while_a_run_holds_the_catalog(small_lake: Path) -> None:
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"c = duckdb.connect({str(small_lake / 'catalog.duckdb')!r})\n"
            "c.execute('CREATE TABLE held AS SELECT 1'); print('held', flush=True); time.sleep(300)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        code, output = _query(small_lake, "select idade, salario_medio from gold.salary_averages")
        assert code == 0, output
        assert json.loads(output) == [{"idade": 30, "salario_medio": "1000.0"}]
        with lake_writer_lock(small_lake, "run"):  # nor does the writer's lake lock stop a reader
            assert _query(small_lake, "select count(*) as n from gold.salary_averages") == (0, '[{"n": 1}]\n')
    finally:
        writer.kill()
        writer.wait()


def test_query_cannot_write_files_nor_read_outside_the_lake(small_lake: Path) -> None:
    published = small_lake / "gold" / "salary_averages" / "data_0.parquet"
    before = published.read_bytes()
    code, output = _query(small_lake, f"COPY (SELECT 1 AS idade) TO '{published}' (FORMAT parquet)")
    assert code == 1 and "refused" in output and "COPY" in output
    assert published.read_bytes() == before
    for sql in (
        "select * from read_text('/etc/hostname')",
        f"select * from read_text('{small_lake}/sftp/host_key')",
        "attach '/tmp/elsewhere.duckdb' as other",
        "create table gold.x as select 1",
        "set enable_external_access = true",
    ):
        code, output = _query(small_lake, sql)
        assert code == 1, (sql, output)
        assert "refused" in output or "Permission" in output, (sql, output)
    assert _query(small_lake, "select 1 as one") == (0, '[{"one": 1}]\n')


# --- a published gold version is verified before reuse -------------------------------------------------


def test_an_altered_gold_version_is_replaced_not_reused(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    with duckdb.connect(str(catalog)) as connection:
        connection.execute("CREATE SCHEMA gold_build")
        connection.execute("CREATE TABLE gold_build.t AS SELECT range AS id FROM range(5)")
    [first] = publish_gold(catalog, tmp_path, {"t": []})
    version = tmp_path / "gold" / ".versions" / "t" / first.version
    data = next(version.glob("*.parquet"))
    original = data.read_bytes()
    with duckdb.connect() as connection:  # what an unguarded COPY ... TO over the published file did
        connection.execute(f"COPY (SELECT 42::BIGINT AS id) TO '{data}' (FORMAT parquet)")
    assert data.read_bytes() != original
    [second] = publish_gold(catalog, tmp_path, {"t": []})
    assert second.version == first.version
    assert data.read_bytes() == original
    with duckdb.connect(str(catalog), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM gold.t").fetchone() == (5,)


# --- run status and records ---------------------------------------------------------------------------


def _manifest(key: str, status: str, read: int = 0, landed: int = 0, reason: str | None = None) -> FileManifest:
    return FileManifest("client_health", DAY, key.rsplit("/", 1)[-1], key, "e", status, read, landed, read - landed,
                        {"bad": read - landed} if read - landed else {}, reason)  # fmt: skip


def test_a_whole_file_quarantined_or_a_file_left_waiting_fails_the_source_and_is_named() -> None:
    keys = [f"landing/client_health/{DAY}/clientes.{fmt}" for fmt in ("csv", "json", "parquet")]
    manifests = [
        _manifest(keys[0], "quarantined", reason="clientes.csv: header is not the contract's"),
        _manifest(keys[2], "landed", 10, 9),
    ]
    expected = frozenset({"clientes.csv", "clientes.json", "clientes.parquet"})
    arrived = frozenset({"clientes.json", "clientes.parquet"})
    gate = GateCheck(GateStatus("client_health", DAY, expected, arrived, {"clientes.csv": "header"}))
    summary = source_summary(manifests, [], keys, {}, gate)
    assert summary["status"] == "failed" and not summary["crashed"]
    assert summary["quarantined_files"] == [keys[0]]
    outcomes = {item["file"]: item["status"] for item in summary["file_details"]}
    assert outcomes == {keys[0]: "quarantined", keys[1]: "waiting", keys[2]: "landed"}
    assert any("clientes.csv: rejected" in error for error in summary["errors"])
    assert any(keys[1] in error and "waiting" in error for error in summary["errors"])

    crashed = source_summary([], [], [keys[1]], {keys[1]: "ConnectionRefusedError: Spark is gone"})
    assert crashed["crashed"] and crashed["file_details"][0]["status"] == "failed"

    nothing = source_summary([], [], [], {}, GateCheck(GateStatus("positional", DAY, frozenset({"contracts"}), frozenset())))
    assert nothing["status"] == "no_input"


def test_each_run_keeps_its_own_report_and_commands_their_own_records(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    write_report(store, DAY, {"run_id": "r1", "status": "failed"})
    write_report(store, DAY, {"run_id": "r2", "status": "succeeded"})
    runs = sorted((tmp_path / "reports" / "runs" / DAY).glob("*.json"))
    assert [json.loads(path.read_text())["status"] for path in runs] == ["failed", "succeeded"]
    assert json.loads((tmp_path / "reports" / f"run-{DAY}.json").read_text())["run_id"] == "r2"
    key = write_command_report(store, DAY, "extract-aurora", {"status": "failed"})
    record = json.loads((tmp_path / key).read_text())
    assert record["finished_at"].endswith(("-03:00", "-02:00"))
    assert json.loads((tmp_path / "reports" / f"run-{DAY}.json").read_text())["run_id"] == "r2"
    assert SAO_PAULO.key == "America/Sao_Paulo"


@pytest.fixture
def aurora_lake(tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    (lake / "sources").mkdir(parents=True)
    with sqlite3.connect(lake / "sources" / "aurora.sqlite") as connection:
        connection.execute("CREATE TABLE contas (id INTEGER PRIMARY KEY)")
        connection.execute("INSERT INTO contas VALUES (1), (2)")
    connection.close()
    return lake


def test_a_mistyped_aurora_table_fails_clearly_and_leaves_no_state(aurora_lake: Path) -> None:
    url = f"sqlite:///{aurora_lake / 'sources' / 'aurora.sqlite'}"
    with pytest.raises(UnknownTablesError, match="'nope'"):
        extract_tables(url, LocalObjectStore(aurora_lake), DAY, ["nope"], require_existing=True)
    result = runner.invoke(app, ["extract", "aurora", "--lake", str(aurora_lake), "--date", DAY, "--tables", "nope"])
    assert result.exit_code == 1 and "'nope'" in result.output and "contas" in result.output
    assert not (aurora_lake / "reports" / "manifests").exists()  # nothing a later run could trip on
    [record] = (aurora_lake / "reports" / "commands" / DAY).glob("extract-aurora-*.json")
    assert json.loads(record.read_text())["status"] == "failed"
    assert not (aurora_lake / "reports" / f"run-{DAY}.json").exists()
