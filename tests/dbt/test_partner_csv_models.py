"""dbt build on fixture bronze data (written directly, no Spark): dedup, gold values, and the reconciliation test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.catalog import register_bronze_tables
from core.registry import all_bronze_tables
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.manifest import FileManifest, write_manifest
from ingestion.partner_csv.contract import BRONZE_SCHEMA
from jobs.dbt import run_dbt

pytestmark = pytest.mark.slow
DAY = "2025-05-05"


def _bronze_file(
    lake: Path, file_id: str, rows: list[tuple[int, int, bool, str, str]], ingested_at: str
) -> None:
    key = f"landing/sftp/p/{DAY}/{file_id}.csv"
    table = pa.Table.from_pylist(
        [
            {
                "id_funcionario": employee,
                "nome": "Nome",
                "cpf": None,
                "idade": age,
                "ativo": active,
                "salario": Decimal(salary),
                "data_referencia": dt.date.fromisoformat(day),
                "partner": "p",
                "source_file": key,
                "source_line": line,
                "ingested_at": dt.datetime.fromisoformat(ingested_at),
            }
            for line, (employee, age, active, salary, day) in enumerate(rows, start=2)
        ],
        schema=BRONZE_SCHEMA,
    )
    target = lake / "bronze" / "partner_csv" / f"ingestion_date={DAY}" / f"p__{file_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target)
    write_manifest(
        LocalObjectStore(lake),
        FileManifest("partner_csv", DAY, f"p__{file_id}", key, "etag", "landed", len(rows), len(rows), 0),
    )


def _build(lake: Path):  # type: ignore[no-untyped-def]
    (lake / "silver").mkdir(exist_ok=True)
    register_bronze_tables(lake / "catalog.duckdb", lake, all_bronze_tables(lake))
    return run_dbt(["build"], Settings(lake=lake))


def test_build_deduplicates_and_aggregates(tmp_path: Path) -> None:
    _bronze_file(
        tmp_path,
        "first",
        [(1, 30, True, "100.00", "2025-04-01"), (2, 30, True, "200.01", "2025-04-01")],
        "2025-05-05T10:00:00+00:00",
    )
    _bronze_file(
        tmp_path,
        "second",
        [(1, 30, True, "300.00", "2025-04-01"), (3, 40, False, "50.00", "2025-03-15")],
        "2025-05-05T11:00:00+00:00",
    )

    summary = _build(tmp_path)

    assert summary.success, summary.failures
    built = ("stg_ingestion__manifests", "stg_partner_csv__employees", "salary_averages")
    assert {name: summary.models[name] for name in built} == dict.fromkeys(built, "success")
    assert summary.tests and all(status == "pass" for status in summary.tests.values())
    with duckdb.connect(str(tmp_path / "catalog.duckdb")) as connection:
        gold = connection.execute(
            "select * from gold_build.salary_averages order by ano, mes, idade"
        ).fetchall()
        winner = connection.execute(
            "select salario, source_file from silver.stg_partner_csv__employees where id_funcionario = 1"
        ).fetchall()
    assert gold == [(40, False, 2025, 3, Decimal("50.00"), 1), (30, True, 2025, 4, Decimal("250.01"), 2)]
    assert winner == [(Decimal("300.00"), f"landing/sftp/p/{DAY}/second.csv")]


def test_reconciliation_test_fails_when_a_manifest_disagrees_with_bronze(tmp_path: Path) -> None:
    _bronze_file(tmp_path, "only", [(1, 30, True, "100.00", "2025-04-01")], "2025-05-05T10:00:00+00:00")
    write_manifest(
        LocalObjectStore(tmp_path),
        FileManifest(
            "partner_csv", DAY, "p__only", f"landing/sftp/p/{DAY}/only.csv", "etag", "landed", 2, 2, 0
        ),
    )

    summary = _build(tmp_path)

    assert not summary.success
    assert summary.tests["assert_partner_csv_rows_reconcile"] == "fail"
    assert any("assert_partner_csv_rows_reconcile" in failure for failure in summary.failures)
