"""Extraction from a real PostgreSQL 15 server: types, bounded batches, atomic days, drift, manifests."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.catalog import register_bronze_tables
from core.storage import LocalObjectStore
from ingestion.aurora.bronze import aurora_bronze_tables
from ingestion.aurora.extract import ExtractOptions, extract_tables
from ingestion.aurora.landing import day_key
from ingestion.aurora.source import open_source
from ingestion.manifest import read_manifests
from tests.aurora.conftest import run_sql

pytestmark = pytest.mark.servers

DAY = "2025-03-10"
NEXT_DAY = "2025-03-11"

TYPED_TABLE = """
CREATE TABLE tipos (
    id bigint PRIMARY KEY,
    valor numeric(12,2),
    taxa numeric(20,6),
    livre numeric,
    momento timestamptz,
    relogio timestamp,
    dia date,
    ativo boolean,
    texto text,
    codigo char(10),
    pequeno smallint,
    fator double precision,
    identificador uuid,
    dados jsonb
)
"""
TYPED_ROWS = """
INSERT INTO tipos VALUES
 (1, 1234567890.12, 12345678901234.123456, 1.5, '2025-03-10 03:00:00-03', '2025-03-10 03:00:00.123456', '2025-03-10',
  true, 'linha 1
linha 2, "aspas" e acentuação', '0000000001', -7, 0.1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}'),
 (2, -0.01, 0.000001, 123456789.0123456789, '1999-12-31 23:59:59.999999+00', '1970-01-01 00:00:00', '1900-02-28',
  false, '', '42', 32767, -1e300, NULL, '[]'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
"""


def bronze_file(lake: Path, table: str, day: str = DAY) -> Path:
    return lake / day_key(table, day)


def test_types_are_mapped_faithfully(pg_database: str, tmp_path: Path) -> None:
    run_sql(pg_database, TYPED_TABLE, TYPED_ROWS)
    [manifest] = extract_tables(pg_database, LocalObjectStore(tmp_path), DAY, ["tipos"])
    assert manifest.status == "landed", manifest.reason
    table = pq.read_table(bronze_file(tmp_path, "tipos"))
    schema = table.schema
    assert schema.field("id").type == pa.int64()
    assert schema.field("valor").type == pa.decimal128(12, 2)
    assert schema.field("taxa").type == pa.decimal128(20, 6)
    assert schema.field("livre").type == pa.decimal128(38, 10)
    assert schema.field("momento").type == pa.timestamp("us", tz="UTC")
    assert schema.field("relogio").type == pa.timestamp("us")
    assert schema.field("dia").type == pa.date32()
    assert schema.field("ativo").type == pa.bool_()
    assert schema.field("texto").type == pa.string()
    assert schema.field("pequeno").type == pa.int16()
    assert schema.field("fator").type == pa.float64()
    assert schema.field("identificador").type == pa.string()
    assert schema.field("valor").metadata == {b"source_type": b"numeric(12,2)"}

    first, second, nulls = table.to_pylist()
    assert first["valor"] == Decimal("1234567890.12")
    assert first["taxa"] == Decimal("12345678901234.123456")
    assert first["livre"] == Decimal("1.5000000000")
    assert first["momento"] == dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)
    assert first["relogio"] == dt.datetime(2025, 3, 10, 3, 0, 0, 123456)
    assert first["dia"] == dt.date(2025, 3, 10)
    assert first["ativo"] is True
    assert first["texto"] == 'linha 1\nlinha 2, "aspas" e acentuação'
    assert first["codigo"] == "0000000001"
    assert (first["pequeno"], first["fator"]) == (-7, 0.1)
    assert first["identificador"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert first["dados"] == '{"a": [1, 2]}'
    assert second["valor"] == Decimal("-0.01")
    assert second["taxa"] == Decimal("0.000001")
    assert second["livre"] == Decimal("123456789.0123456789")
    assert second["momento"] == dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
    assert second["dia"] == dt.date(1900, 2, 28)
    assert second["ativo"] is False
    # An empty string stays an empty string; only NULL becomes null.
    assert second["texto"] == ""
    assert second["codigo"] == "42        "
    assert second["fator"] == -1e300
    assert all(value is None for name, value in nulls.items() if name != "id")


def test_reads_in_bounded_batches(pg_database: str, tmp_path: Path) -> None:
    run_sql(
        pg_database,
        "CREATE TABLE grande (id bigint PRIMARY KEY, nome text, valor numeric(12,2))",
        "INSERT INTO grande SELECT g, 'cliente ' || g, g / 100.0 FROM generate_series(1, 25000) g",
    )
    source = open_source(pg_database)
    try:
        columns = source.columns("grande")
        sizes = [batch.num_rows for batch in source.read("grande", columns, ["id"], 4000)]
    finally:
        source.close()
    assert sizes == [4000] * 6 + [1000]

    [manifest] = extract_tables(pg_database, LocalObjectStore(tmp_path), DAY, ["grande"], options=ExtractOptions(batch_rows=4000))
    metadata = pq.read_metadata(bronze_file(tmp_path, "grande"))
    assert metadata.num_row_groups == math.ceil(25000 / 4000)
    assert max(metadata.row_group(index).num_rows for index in range(metadata.num_row_groups)) == 4000
    assert manifest.rows_read == manifest.rows_landed == metadata.num_rows == 25000
    ids = pq.read_table(bronze_file(tmp_path, "grande"), columns=["id"]).column("id").to_pylist()
    assert ids == list(range(1, 25001))


def test_every_table_of_the_schema_by_default_and_empty_tables_stay_typed(pg_database: str, tmp_path: Path) -> None:
    run_sql(
        pg_database,
        "CREATE SCHEMA outro",
        "CREATE TABLE outro.fora (id int)",
        "CREATE TABLE vazia (id int PRIMARY KEY, valor numeric(5,1))",
        "CREATE TABLE cheia (id int)",
        "INSERT INTO cheia VALUES (1), (2)",
        "CREATE VIEW visao AS SELECT * FROM cheia",
    )
    manifests = extract_tables(pg_database, LocalObjectStore(tmp_path), DAY)
    assert sorted((m.file_id, m.rows_landed) for m in manifests) == [("cheia", 2), ("vazia", 0)]
    empty = pq.read_table(bronze_file(tmp_path, "vazia"))
    assert empty.num_rows == 0 and empty.schema.field("valor").type == pa.decimal128(5, 1)

    other = extract_tables(pg_database + "?schema=outro", LocalObjectStore(tmp_path / "other"), DAY)
    assert [m.file_id for m in other] == ["fora"]


def test_reextracting_a_day_replaces_it_and_keeps_earlier_days(pg_database: str, tmp_path: Path) -> None:
    run_sql(pg_database, "CREATE TABLE contas (id int PRIMARY KEY, saldo numeric(12,2))", "INSERT INTO contas VALUES (1, 10.00)")
    extract_tables(pg_database, LocalObjectStore(tmp_path), DAY, ["contas"])
    first = bronze_file(tmp_path, "contas").read_bytes()
    # The same data again: the same bytes (primary-key order, no run timestamp in the file).
    extract_tables(pg_database, LocalObjectStore(tmp_path), DAY, ["contas"])
    assert bronze_file(tmp_path, "contas").read_bytes() == first

    run_sql(pg_database, "INSERT INTO contas VALUES (2, 20.00)")
    extract_tables(pg_database, LocalObjectStore(tmp_path), NEXT_DAY, ["contas"])
    run_sql(pg_database, "INSERT INTO contas VALUES (3, 30.00)")
    extract_tables(pg_database, LocalObjectStore(tmp_path), NEXT_DAY, ["contas"])

    days = sorted(path.parent.name for path in (tmp_path / "bronze/aurora/contas").glob("*/*.parquet"))
    assert days == [f"extraction_date={DAY}", f"extraction_date={NEXT_DAY}"]
    assert bronze_file(tmp_path, "contas").read_bytes() == first
    assert pq.read_table(bronze_file(tmp_path, "contas", NEXT_DAY)).column("id").to_pylist() == [1, 2, 3]
    # Nothing left behind by the write-aside step.
    assert not any((tmp_path / "bronze/aurora/.staging").iterdir())


def test_a_failed_extraction_leaves_the_published_day_untouched(pg_database: str, tmp_path: Path) -> None:
    run_sql(pg_database, "CREATE TABLE medidas (id int PRIMARY KEY, valor numeric)", "INSERT INTO medidas VALUES (1, 1)")
    extract_tables(pg_database, LocalObjectStore(tmp_path), DAY, ["medidas"])
    before = bronze_file(tmp_path, "medidas").read_bytes()
    # 29 integer digits do not fit decimal(38,10): the server's cast fails in the middle of the COPY.
    run_sql(pg_database, "INSERT INTO medidas SELECT g, 1 FROM generate_series(2, 50000) g", "INSERT INTO medidas VALUES (50001, 1e28)")
    [manifest] = extract_tables(pg_database, LocalObjectStore(tmp_path), DAY, ["medidas"])
    assert manifest.status == "failed" and "overflow" in (manifest.reason or "")
    assert bronze_file(tmp_path, "medidas").read_bytes() == before


def test_added_column_lands_and_the_bronze_view_unions_the_days(pg_database: str, tmp_path: Path) -> None:
    run_sql(pg_database, "CREATE TABLE clientes (id int PRIMARY KEY, nome text)", "INSERT INTO clientes VALUES (1, 'Ana')")
    extract_tables(pg_database, LocalObjectStore(tmp_path), DAY, ["clientes"])
    run_sql(pg_database, "ALTER TABLE clientes ADD COLUMN uf char(2)", "INSERT INTO clientes VALUES (2, 'Bia', 'SP')")
    [manifest] = extract_tables(pg_database, LocalObjectStore(tmp_path), NEXT_DAY, ["clientes"])
    assert manifest.status == "landed"

    [bronze] = [table for table in aurora_bronze_tables(tmp_path) if table.name == "aurora_clientes"]
    assert bronze.schema.names == ["id", "nome", "uf"]
    catalog = tmp_path / "catalog.duckdb"
    register_bronze_tables(catalog, tmp_path, [bronze])
    with duckdb.connect(str(catalog)) as connection:
        rows = connection.execute(
            "SELECT extraction_date, id, nome, uf FROM bronze.aurora_clientes ORDER BY extraction_date, id"
        ).fetchall()
    assert rows == [(DAY, 1, "Ana", None), (NEXT_DAY, 1, "Ana", None), (NEXT_DAY, 2, "Bia", "SP")]


def test_removed_column_fails_that_table_only_with_a_clear_error(pg_database: str, tmp_path: Path) -> None:
    run_sql(
        pg_database,
        "CREATE TABLE clientes (id int PRIMARY KEY, nome text, uf char(2))",
        "CREATE TABLE planos (id int PRIMARY KEY)",
        "INSERT INTO clientes VALUES (1, 'Ana', 'SP')",
    )
    extract_tables(pg_database, LocalObjectStore(tmp_path), DAY)
    run_sql(pg_database, "ALTER TABLE clientes DROP COLUMN uf")
    manifests = {m.file_id: m for m in extract_tables(pg_database, LocalObjectStore(tmp_path), NEXT_DAY)}
    assert manifests["planos"].status == "landed"
    failed = manifests["clientes"]
    assert failed.status == "failed"
    assert "'clientes'" in (failed.reason or "") and "'uf'" in (failed.reason or "")
    assert "LAKEHOUSE_AURORA_ACCEPT_DROPPED_COLUMNS" in (failed.reason or "")
    assert not bronze_file(tmp_path, "clientes", NEXT_DAY).exists()

    # Accepted: the column stays in bronze, typed, as nulls.
    accepted = ExtractOptions(accept_dropped_columns=frozenset({"clientes.uf"}))
    [manifest] = extract_tables(pg_database, LocalObjectStore(tmp_path), NEXT_DAY, ["clientes"], options=accepted)
    assert manifest.status == "landed"
    table = pq.read_table(bronze_file(tmp_path, "clientes", NEXT_DAY))
    assert table.schema.names == ["id", "nome", "uf"] and table.column("uf").to_pylist() == [None]


def test_manifests_reconcile_and_name_the_source_without_credentials(pg_database: str, tmp_path: Path) -> None:
    run_sql(pg_database, "CREATE TABLE contas (id int PRIMARY KEY)", "INSERT INTO contas SELECT generate_series(1, 10)")
    extract_tables(pg_database, LocalObjectStore(tmp_path), DAY, ["contas", "inexistente"])
    manifests = {m.file_id: m for m in read_manifests(LocalObjectStore(tmp_path), "aurora", DAY)}
    landed, missing = manifests["contas"], manifests["inexistente"]
    assert (landed.status, landed.rows_read, landed.rows_landed, landed.rows_quarantined) == ("landed", 10, 10, 0)
    assert landed.key == "postgresql:public.contas"
    assert landed.outputs == [day_key("contas", DAY)]
    assert missing.status == "failed" and "'inexistente' not found" in (missing.reason or "")
    for manifest in manifests.values():
        manifest.check()


def test_awkward_table_names_get_safe_lower_case_folders(pg_database: str, tmp_path: Path) -> None:
    run_sql(pg_database, 'CREATE TABLE "Pedidos Web" ("Id" int PRIMARY KEY, "Valor Total" numeric(10,2))',
            "INSERT INTO \"Pedidos Web\" VALUES (1, 9.99)")
    [manifest] = extract_tables(pg_database, LocalObjectStore(tmp_path), DAY)
    assert manifest.status == "landed" and manifest.file_id.startswith("pedidos_web-")
    assert manifest.key == "postgresql:public.Pedidos Web"
    assert manifest.outputs == [f"bronze/aurora/{manifest.file_id}/extraction_date={DAY}/data.parquet"]
    table = pq.read_table(tmp_path / manifest.outputs[0])
    assert table.to_pylist() == [{"Id": 1, "Valor Total": Decimal("9.99")}]
