"""The demo's SQLite stand-in for Aurora: realistic related tables, extracted with faithful types."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.catalog import register_bronze_tables
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.aurora.bronze import aurora_bronze_tables
from ingestion.aurora.demo_db import DEMO_TABLES, DemoKeys, create_demo_database
from ingestion.aurora.extract import (
    ExtractOptions,
    aurora_configured,
    demo_database_path,
    extract_tables,
    source_url,
)
from ingestion.aurora.landing import day_key
from ingestion.aurora.source import open_source
from ingestion.cpf import is_valid_cpf

DAY = "2025-03-10"


@pytest.fixture
def demo_lake(tmp_path: Path) -> Path:
    create_demo_database(demo_database_path(tmp_path), DAY, rows=300, seed=7)
    return tmp_path


def test_the_demo_database_configures_the_lake(demo_lake: Path) -> None:
    assert aurora_configured(Settings(lake=demo_lake))


def test_demo_database_is_deterministic_and_related(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    counts = create_demo_database(first, DAY, rows=200, seed=3)
    assert create_demo_database(second, DAY, rows=200, seed=3) == counts
    with sqlite3.connect(first) as a, sqlite3.connect(second) as b:
        for table in DEMO_TABLES:
            assert a.execute(f"SELECT * FROM {table}").fetchall() == b.execute(f"SELECT * FROM {table}").fetchall()
        assert counts["contratos"] == 200
        orphans = a.execute(
            "SELECT count(*) FROM contratos c LEFT JOIN clientes k USING (id_cliente) WHERE k.id_cliente IS NULL"
        ).fetchone()
        assert orphans == (0,)
        assert a.execute("SELECT count(*) FROM pagamentos p LEFT JOIN contratos c USING (numero_contrato) "
                         "WHERE c.numero_contrato IS NULL").fetchone() == (0,)
        cpfs = [row[0] for row in a.execute("SELECT cpf FROM clientes")]
        assert all(is_valid_cpf(cpf) and cpf.isdigit() for cpf in cpfs)
        numbers = [row[0] for row in a.execute("SELECT numero_contrato FROM contratos ORDER BY 1")]
        assert numbers[0] == "0000010000" and all(len(number) == 10 for number in numbers)


def test_demo_keys_come_from_the_other_sources(tmp_path: Path) -> None:
    keys = DemoKeys(contract_numbers=["0000123456", "0000123457"], employee_ids=[100007], cpfs=["52998224725"])
    path = tmp_path / "keys.sqlite"
    create_demo_database(path, DAY, rows=2, seed=1, keys=keys)
    with sqlite3.connect(path) as connection:
        assert [row[0] for row in connection.execute("SELECT numero_contrato FROM contratos ORDER BY 1")] == ["0000123456", "0000123457"]
        sellers = {row[0] for row in connection.execute("SELECT id_funcionario_vendedor FROM contratos")}
        assert sellers <= {100007, None}
        assert connection.execute("SELECT cpf FROM clientes WHERE id_cliente = 1").fetchone() == ("52998224725",)


def test_extracts_the_demo_with_faithful_types(demo_lake: Path) -> None:
    manifests = extract_tables(source_url(Settings(lake=demo_lake)), LocalObjectStore(demo_lake), DAY)
    assert sorted(m.file_id for m in manifests) == sorted(DEMO_TABLES)
    assert all(m.status == "landed" and m.rows_read == m.rows_landed > 0 for m in manifests)
    contratos = pq.read_table(demo_lake / day_key("contratos", DAY))
    assert contratos.schema.field("valor_mensal").type == pa.decimal128(12, 2)
    assert contratos.schema.field("ativo").type == pa.bool_()
    assert contratos.schema.field("assinado_em").type == pa.timestamp("us", tz="UTC")
    assert contratos.schema.field("id_plano").type == pa.int64()
    pagamentos = pq.read_table(demo_lake / day_key("pagamentos", DAY))
    assert pagamentos.schema.field("juros").type == pa.decimal128(20, 6)
    assert pagamentos.schema.field("competencia").type == pa.date32()
    assert pagamentos.column("valor_pago").null_count > 0

    with sqlite3.connect(demo_database_path(demo_lake)) as connection:
        number, signed, monthly, active = connection.execute(
            "SELECT numero_contrato, assinado_em, valor_mensal, ativo FROM contratos ORDER BY 1 LIMIT 1"
        ).fetchone()
    first = contratos.slice(0, 1).to_pylist()[0]
    assert first["numero_contrato"] == number
    # Stored with the Sao Paulo offset, landed as the same instant in UTC.
    assert first["assinado_em"] == dt.datetime.fromisoformat(signed).astimezone(dt.UTC)
    assert first["valor_mensal"] == Decimal(repr(monthly)).quantize(Decimal("0.01"))
    assert first["ativo"] is bool(active)


def test_sqlite_reads_in_bounded_batches(demo_lake: Path) -> None:
    source = open_source(f"sqlite:///{demo_database_path(demo_lake)}")
    try:
        sizes = [batch.num_rows for batch in source.read("contratos", source.columns("contratos"), ["numero_contrato"], 64)]
    finally:
        source.close()
    assert sizes == [64, 64, 64, 64, 44]
    extract_tables(source_url(Settings(lake=demo_lake)), LocalObjectStore(demo_lake), DAY, ["contratos"], options=ExtractOptions(batch_rows=64))
    assert pq.read_metadata(demo_lake / day_key("contratos", DAY)).num_row_groups == 5


def test_a_value_that_does_not_fit_names_table_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE contas (id INTEGER PRIMARY KEY, aberta_em TIMESTAMPTZ)")
        connection.execute("INSERT INTO contas VALUES (1, 'ontem')")
    connection.close()
    [manifest] = extract_tables(f"sqlite:///{path}", LocalObjectStore(tmp_path / "lake"), DAY)
    assert manifest.status == "failed"
    assert "'contas'" in (manifest.reason or "") and "'aberta_em'" in (manifest.reason or "")


def test_demo_tables_join_in_the_bronze_views(demo_lake: Path) -> None:
    extract_tables(source_url(Settings(lake=demo_lake)), LocalObjectStore(demo_lake), DAY)
    catalog = demo_lake / "catalog.duckdb"
    register_bronze_tables(catalog, demo_lake, aurora_bronze_tables(demo_lake))
    with duckdb.connect(str(catalog)) as connection:
        joined, contracts = connection.execute(
            """
            SELECT count(DISTINCT p.numero_contrato), (SELECT count(*) FROM bronze.aurora_contratos)
            FROM bronze.aurora_pagamentos p
            JOIN bronze.aurora_contratos c USING (numero_contrato, extraction_date)
            JOIN bronze.aurora_clientes k USING (id_cliente, extraction_date)
            """
        ).fetchone()
    assert 0 < joined <= contracts == 300


def test_missing_demo_database_is_a_clear_error(tmp_path: Path) -> None:
    assert not aurora_configured(Settings(lake=tmp_path))
    with pytest.raises(RuntimeError, match=r"aurora\.sqlite does not exist"):
        extract_tables(source_url(Settings(lake=tmp_path)), LocalObjectStore(tmp_path), DAY)


def test_demo_tables_are_typed_empty_views_before_any_extraction(tmp_path: Path) -> None:
    tables = aurora_bronze_tables(tmp_path)
    assert [table.name for table in tables] == ["aurora_clientes", "aurora_contratos", "aurora_pagamentos"]
    catalog = tmp_path / "catalog.duckdb"
    register_bronze_tables(catalog, tmp_path, tables)
    with duckdb.connect(str(catalog)) as connection:
        assert connection.execute("SELECT count(*) FROM bronze.aurora_contratos").fetchone() == (0,)
        described = dict(connection.execute("SELECT column_name, column_type FROM (DESCRIBE bronze.aurora_contratos)").fetchall())
    assert described["valor_mensal"] == "DECIMAL(12,2)" and described["assinado_em"] == "TIMESTAMP WITH TIME ZONE"
    assert described["extraction_date"] == "VARCHAR"
