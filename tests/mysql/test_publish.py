from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pymysql
import pytest

from core.settings import Settings
from serving.mysql import (
    EMPLOYEES_TABLE,
    SILVER_EMPLOYEES,
    MySqlColumn,
    MySqlPublishError,
    MySqlTableSpec,
    parse_mysql_url,
    publish_batches,
    publish_employees,
)
from tests.mysql.rows import SCHEMA, batches, employee_batch
from tests.support.mariadb import MariaDbServer

pytestmark = pytest.mark.servers
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def url(mariadb_url: str) -> str:
    target = parse_mysql_url(mariadb_url)
    connection = target.connect()
    with connection.cursor() as cursor:
        cursor.execute("SHOW TABLES")
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP TABLE `{name}`")
    connection.close()
    return mariadb_url


def table_rows(url: str, table: str = EMPLOYEES_TABLE.name) -> list[tuple[Any, ...]]:
    connection = parse_mysql_url(url).connect()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM `{table}` ORDER BY partner, id_funcionario, data_referencia")
        rows = list(cursor.fetchall())
    connection.close()
    return rows


def expected_rows(record_batches: list[pa.RecordBatch]) -> list[tuple[Any, ...]]:
    rows = []
    for batch in record_batches:
        for row in batch.to_pylist():
            values = [row[name] for name in SCHEMA.names]
            values[6] = int(values[6])  # BOOLEAN is TINYINT(1)
            values[10] = values[10].replace(tzinfo=None)  # DATETIME(6) in UTC
            rows.append(tuple(values))
    return sorted(rows, key=lambda r: (r[0], r[1], r[2]))


def row_count(url: str) -> int:
    connection = parse_mysql_url(url).connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM `{EMPLOYEES_TABLE.name}`")
            row = cursor.fetchone()
            return int(row[0]) if row else 0
    except pymysql.err.ProgrammingError:
        return 0  # table not created yet
    finally:
        connection.close()


def drop_table(url: str) -> None:
    connection = parse_mysql_url(url).connect()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE `{EMPLOYEES_TABLE.name}`")
    connection.close()


def test_publish_creates_the_table_and_round_trips_every_value(url: str) -> None:
    data = batches(2_500, 1_000)
    result = publish_batches(url, EMPLOYEES_TABLE, data)
    assert (result.rows, result.batches, result.table) == (2_500, 3, "partner_employees")
    assert table_rows(url) == expected_rows(data)


def test_publishing_twice_gives_the_same_rows(url: str) -> None:
    data = batches(3_000, 700)
    publish_batches(url, EMPLOYEES_TABLE, data)
    first = table_rows(url)
    publish_batches(url, EMPLOYEES_TABLE, data)
    assert table_rows(url) == first
    assert len(first) == 3_000


def test_upsert_updates_rows_on_the_natural_key(url: str) -> None:
    publish_batches(url, EMPLOYEES_TABLE, batches(1_000, 1_000))
    changed = batches(500, 250, salary_bump=7)
    publish_batches(url, EMPLOYEES_TABLE, changed)
    rows = table_rows(url)
    assert len(rows) == 1_000
    by_id = {row[1]: row for row in rows}
    assert by_id[10][7] == Decimal("1017.10")
    assert by_id[600][7] == Decimal("1600.00")


def test_a_publish_killed_midway_and_rerun_gives_the_same_rows(url: str) -> None:
    total, size = 10_000, 500
    publish_batches(url, EMPLOYEES_TABLE, batches(total, size))
    reference = table_rows(url)
    drop_table(url)

    process = subprocess.Popen(
        [sys.executable, "-m", "tests.mysql.slow_publisher", url, str(total), str(size), "0.1"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and row_count(url) < 2 * size:
            assert process.poll() is None, "the publisher ended before it could be killed"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    landed = row_count(url)
    assert 0 < landed < total
    assert landed % size == 0, "a killed batch must leave none of its rows"

    publish_batches(url, EMPLOYEES_TABLE, batches(total, size))
    assert table_rows(url) == reference


def test_the_password_never_appears_in_errors_or_logs(
    url: str, mariadb_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    target = parse_mysql_url(mariadb_url)
    password = target.password.get_secret_value()
    publish_batches(url, EMPLOYEES_TABLE, batches(10, 10))

    wrong = mariadb_url.replace(f":{password}@", ":Wr0ng-s3cret-pw@")
    with pytest.raises(MySqlPublishError) as denied:
        publish_batches(wrong, EMPLOYEES_TABLE, batches(10, 10))
    assert "Access denied" in str(denied.value)
    assert "Wr0ng-s3cret-pw" not in str(denied.value)
    assert "mysql://lakehouse:***@" in str(denied.value)

    with pytest.raises(MySqlPublishError) as refused:
        publish_batches("mysql://u:Sup3r-secret@127.0.0.1:1/db", EMPLOYEES_TABLE, batches(1, 1))
    assert "Sup3r-secret" not in str(refused.value)

    assert password not in repr(target) and password not in target.safe_url
    assert caplog.records, "a publication logs one line"
    for record in caplog.records:
        text = record.getMessage()
        assert password not in text and "Wr0ng-s3cret-pw" not in text and "Sup3r-secret" not in text


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_batch_stops_the_publication_and_leaves_none_of_its_rows(url: str, workers: int) -> None:
    good = employee_batch(0, 100)
    too_long = employee_batch(100, 10).set_column(0, "partner", pa.array(["x" * 65] * 10))
    later = employee_batch(110, 100)
    message = r"publishing partner_employees to mysql://lakehouse:\*\*\*@.* failed .*Data too long for column 'partner'"
    with pytest.raises(MySqlPublishError, match=message):
        publish_batches(url, EMPLOYEES_TABLE, [good, too_long, *[later] * 20], workers=workers)
    ids = {row[1] for row in table_rows(url)}
    assert not ids & set(range(100, 110)), "strict mode: nothing of the failing batch is written"
    if workers == 1:
        assert ids == set(range(100)), "in order: the batch before is kept, the ones after never start"


def test_table_specs_reject_unsafe_identifiers_and_nullable_keys() -> None:
    with pytest.raises(ValueError, match="identifier"):
        MySqlTableSpec("t`; DROP", (MySqlColumn("a", "INT", nullable=False),), ("a",))
    with pytest.raises(ValueError, match="nullable"):
        MySqlTableSpec("t", (MySqlColumn("a", "INT"),), ("a",))


def write_silver(catalog: Path, rows: list[dict[str, Any]]) -> None:
    table = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("id_funcionario", pa.int64()),
                ("nome", pa.string()),
                ("cpf", pa.string()),
                ("idade", pa.int32()),
                ("ativo", pa.bool_()),
                ("salario", pa.decimal128(12, 2)),
                ("data_referencia", pa.date32()),
                ("partner", pa.string()),
                ("source_file", pa.string()),
                ("source_line", pa.int64()),
                ("ingested_at", pa.timestamp("us", tz="UTC")),
                ("ingestion_date", pa.date32()),
            ]
        ),
    )
    with duckdb.connect(str(catalog)) as connection:
        connection.execute("CREATE SCHEMA silver")
        connection.register("rows", table)
        connection.execute(f"CREATE TABLE {SILVER_EMPLOYEES} AS SELECT * FROM rows")


def silver_row(ident: int, cpf: str | None, salary: str, hour: int, source: str = "f.csv") -> dict[str, Any]:
    return {
        "id_funcionario": ident,
        "nome": "Fulano",
        "cpf": cpf,
        "idade": 30,
        "ativo": True,
        "salario": Decimal(salary),
        "data_referencia": dt.date(2024, 5, 1),
        "partner": "acme",
        "source_file": f"landing/sftp/acme/2024-05-0{hour % 9 + 1}/{source}",
        "source_line": 2,
        "ingested_at": dt.datetime(2024, 5, 1, hour, tzinfo=dt.UTC),
        "ingestion_date": dt.date(2024, 5, 1),
    }


def test_publish_employees_reads_silver_keeps_the_latest_delivery_and_masks_the_cpf(
    url: str, tmp_path: Path
) -> None:
    catalog = tmp_path / "catalog.duckdb"
    write_silver(
        catalog,
        [
            silver_row(1, "123.456.789-09", "1000.00", 8),
            silver_row(1, "12345678909", "1500.00", 9, "g.csv"),  # a later delivery of the same employee
            silver_row(2, None, "2000.00", 8),
            silver_row(3, "999", "3000.00", 8),  # not a CPF: published as NULL, never raw
        ],
    )
    result = publish_employees(Settings(mysql_url=url), catalog)
    assert result is not None and result.rows == 3
    rows = table_rows(url)
    assert [(r[1], r[4], r[7]) for r in rows] == [
        (1, "***.456.789-**", Decimal("1500.00")),
        (2, None, Decimal("2000.00")),
        (3, None, Decimal("3000.00")),
    ]
    assert rows[0][8].endswith("/g.csv") and rows[0][10] == dt.datetime(2024, 5, 1, 9)
    dump = repr(rows)
    assert "12345678909" not in dump and "123.456.789-09" not in dump and "'999'" not in dump

    publish_employees(Settings(mysql_url=url), catalog)
    assert table_rows(url) == rows


def test_publish_employees_is_skipped_without_a_configured_url(tmp_path: Path) -> None:
    assert (
        publish_employees(Settings(mysql_url=None, mysql_secret_id=None), tmp_path / "absent.duckdb") is None
    )


def test_a_batch_rolled_back_by_a_lock_timeout_is_replayed(url: str, mariadb_server: MariaDbServer) -> None:
    publish_batches(url, EMPLOYEES_TABLE, batches(100, 100))
    admin = pymysql.connect(unix_socket=str(mariadb_server.socket_path), user="root", autocommit=True)
    holder = parse_mysql_url(url).connect()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SET GLOBAL innodb_lock_wait_timeout = 1")  # new sessions give up after 1 s
        with holder.cursor() as cursor:
            cursor.execute(f"SELECT * FROM `{EMPLOYEES_TABLE.name}` WHERE id_funcionario = 5 FOR UPDATE")
        release = threading.Timer(1.5, holder.rollback)
        release.start()
        started = time.monotonic()
        result = publish_batches(url, EMPLOYEES_TABLE, batches(100, 100, salary_bump=7), workers=1)
        release.join()
    finally:
        with admin.cursor() as cursor:
            cursor.execute("SET GLOBAL innodb_lock_wait_timeout = 50")
        admin.close()
        holder.close()
    assert time.monotonic() - started >= 1.0, "the first attempt waited for the lock and timed out"
    assert result.rows == 100
    assert table_rows(url) == expected_rows(batches(100, 100, salary_bump=7))
