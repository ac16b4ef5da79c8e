"""Extraction from a real MariaDB server (the MySQL dialect): types, unbuffered batches, snapshot."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pymysql
import pytest

from core.storage import LocalObjectStore
from ingestion.aurora.extract import ExtractOptions, extract_tables
from ingestion.aurora.landing import day_key
from ingestion.aurora.urls import parse_source_url
from tests.support.mariadb import MariaDbServer

pytestmark = pytest.mark.servers

DAY = "2025-03-10"


def run_mysql(server: MariaDbServer, *statements: str) -> None:
    connection = pymysql.connect(
        host=server.host, port=server.port, user=server.user, password=server.password, database=server.database,
        autocommit=True, charset="utf8mb4",
    )
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def test_mariadb_types_and_batches(mariadb_server: MariaDbServer, tmp_path: Path) -> None:
    run_mysql(
        mariadb_server,
        "DROP TABLE IF EXISTS tipos_aurora",
        """CREATE TABLE tipos_aurora (
            id BIGINT PRIMARY KEY, valor DECIMAL(12,2), taxa DECIMAL(20,6), ativo BOOLEAN, criado_em TIMESTAMP(6) NULL,
            relogio DATETIME, dia DATE, texto TEXT, codigo CHAR(10), grande BIGINT UNSIGNED, fator DOUBLE, hora TIME,
            bruto BLOB
        )""",
        "SET time_zone = '-03:00'",
        """INSERT INTO tipos_aurora VALUES
            (1, 1234567890.12, 12345678901234.123456, TRUE, '2025-03-10 03:00:00.5', '2025-03-10 03:00:00', '2025-03-10',
             'linha 1\\nlinha 2, acentuação', '0000000001', 18446744073709551615, 0.1, '12:30:00', X'CAFE'),
            (2, -0.01, 0.000001, FALSE, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL)""",
        "INSERT INTO tipos_aurora (id) SELECT seq FROM seq_3_to_250",
    )
    options = ExtractOptions(batch_rows=100)
    [manifest] = extract_tables(mariadb_server.url, LocalObjectStore(tmp_path), DAY, ["tipos_aurora"], options=options)
    assert manifest.status == "landed", manifest.reason
    assert manifest.key == f"mysql:{mariadb_server.database}.tipos_aurora"
    path = tmp_path / day_key("tipos_aurora", DAY)
    assert pq.read_metadata(path).num_row_groups == 3 and manifest.rows_landed == 250
    table = pq.read_table(path)
    types = {field.name: field.type for field in table.schema}
    assert types["valor"] == pa.decimal128(12, 2) and types["taxa"] == pa.decimal128(20, 6)
    assert types["ativo"] == pa.bool_() and types["criado_em"] == pa.timestamp("us", tz="UTC")
    assert types["relogio"] == pa.timestamp("us") and types["grande"] == pa.decimal128(20, 0)
    first, second = table.slice(0, 2).to_pylist()
    assert first["valor"] == Decimal("1234567890.12") and first["taxa"] == Decimal("12345678901234.123456")
    assert first["ativo"] is True and second["ativo"] is False
    # Inserted at 03:00:00.5 in UTC-3: the instant is 06:00:00.5 UTC.
    assert first["criado_em"] == dt.datetime(2025, 3, 10, 6, 0, 0, 500000, tzinfo=dt.UTC)
    assert first["relogio"] == dt.datetime(2025, 3, 10, 3, 0)
    assert first["texto"] == "linha 1\nlinha 2, acentuação" and second["texto"] == ""
    assert first["grande"] == Decimal(18446744073709551615)
    assert (first["hora"], first["bruto"]) == ("12:30:00", "CAFE")
    assert second["criado_em"] is None and second["codigo"] is None


def test_mariadb_url_is_parsed_as_mysql(mariadb_url: str) -> None:
    assert parse_source_url(mariadb_url).dialect == "mysql"
