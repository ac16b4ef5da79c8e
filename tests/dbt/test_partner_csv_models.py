"""dbt build on fixture bronze data (written directly, no Spark): dedup, gold values, and the reconciliation test."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from core.catalog import register_bronze_tables
from core.registry import all_bronze_tables
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.manifest import FileManifest, write_manifest
from jobs.dbt import run_dbt
from tests.support.partner_bronze import EmployeeRow, write_partner_bronze

pytestmark = pytest.mark.slow
DAY = "2025-05-05"


def _bronze_file(
    lake: Path,
    file_id: str,
    rows: list[EmployeeRow],
    ingested_at: str,
    partner: str = "p",
) -> None:
    write_partner_bronze(lake, DAY, file_id, rows, ingested_at, partner)


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
    assert gold == [
        (40, False, Decimal("50.00"), 1, Decimal("50.00"), 2025, 3),
        (30, True, Decimal("250.01"), 2, Decimal("500.01"), 2025, 4),
    ]
    assert winner == [(Decimal("300.00"), f"landing/sftp/p/{DAY}/second.csv")]


def test_two_partners_sharing_an_employee_id_both_count(tmp_path: Path) -> None:
    # Employee ids are each partner's own: acme's employee 7 is not sul's employee 7.
    _bronze_file(tmp_path, "f", [(7, 30, True, "100.00", "2025-04-01")], "2025-05-05T10:00:00+00:00", "acme")
    _bronze_file(tmp_path, "f", [(7, 30, True, "301.00", "2025-04-01")], "2025-05-05T11:00:00+00:00", "sul")

    summary = _build(tmp_path)

    assert summary.success, summary.failures
    with duckdb.connect(str(tmp_path / "catalog.duckdb")) as connection:
        silver = connection.execute(
            "select partner, id_funcionario, salario from silver.stg_partner_csv__employees order by partner"
        ).fetchall()
        gold = connection.execute(
            "select salario_medio, funcionarios, salario_total from gold_build.salary_averages"
        ).fetchall()
    assert silver == [("acme", 7, Decimal("100.00")), ("sul", 7, Decimal("301.00"))]
    assert gold == [(Decimal("200.50"), 2, Decimal("401.00"))]


def test_reconciliation_test_fails_when_a_manifest_disagrees_with_bronze(tmp_path: Path) -> None:
    _bronze_file(tmp_path, "only", [(1, 30, True, "100.00", "2025-04-01")], "2025-05-05T10:00:00+00:00")
    write_manifest(
        LocalObjectStore(tmp_path),
        FileManifest(
            "partner_csv", DAY, "p~~only.csv", f"landing/sftp/p/{DAY}/only.csv", "etag", "landed", 2, 2, 0
        ),
    )

    summary = _build(tmp_path)

    assert not summary.success
    assert summary.tests["assert_partner_csv_rows_reconcile"] == "fail"
    assert any("assert_partner_csv_rows_reconcile" in failure for failure in summary.failures)
