"""Incremental silver and gold on DuckDB: days built one by one give, row for row, the gold (and silver)
of one full refresh over the same inputs; a day's build rewrites only that day's staging rows and the
gold months its rows fall in."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.catalog import register_bronze_tables
from core.registry import all_bronze_tables
from core.settings import Settings
from jobs.dbt import DbtSummary, run_dbt
from tests.support.partner_bronze import write_partner_bronze

pytestmark = pytest.mark.slow
DAYS = ("2025-05-01", "2025-05-02", "2025-05-03")


def _deliver_history(lake: Path) -> None:
    write_partner_bronze(
        lake, DAYS[0], "maio",
        [(1, 30, True, "100.00", "2025-04-01"), (2, 30, True, "200.00", "2025-04-01"), (3, 40, False, "50.00", "2025-03-15")],
        f"{DAYS[0]}T10:00:00+00:00", "acme",
    )  # fmt: skip
    # Another partner's employee 1 is another employee; a new month starts.
    write_partner_bronze(lake, DAYS[1], "maio", [(1, 30, True, "301.00", "2025-04-01")], f"{DAYS[1]}T10:00:00+00:00", "sul")
    write_partner_bronze(lake, DAYS[1], "novos", [(4, 50, True, "500.00", "2025-05-01")], f"{DAYS[1]}T11:00:00+00:00", "acme")
    # A correction of day 1's employee 2, and two uploads of one day for employee 5: the later wins.
    write_partner_bronze(lake, DAYS[2], "correcao", [(2, 30, True, "250.00", "2025-04-01")], f"{DAYS[2]}T09:00:00+00:00", "acme")
    write_partner_bronze(lake, DAYS[2], "a", [(5, 60, True, "700.00", "2025-05-01")], f"{DAYS[2]}T10:00:00+00:00", "acme")
    write_partner_bronze(lake, DAYS[2], "b", [(5, 60, True, "800.00", "2025-05-01")], f"{DAYS[2]}T11:00:00+00:00", "acme")


def _build(lake: Path, *arguments: str, day: str | None = None) -> DbtSummary:
    register_bronze_tables(lake / "catalog.duckdb", lake, all_bronze_tables(lake))
    summary = run_dbt(["build", *arguments], Settings(lake=lake), day=day)
    assert summary.success, summary.failures
    return summary


def _rows(lake: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


GOLD = "select * from gold_build.salary_averages order by all"
LATEST = "select * from silver.int_partner_csv__employees_latest order by all"
STAGING = "select * exclude (dbt_build_id) from silver.stg_partner_csv__employees order by all"


def test_days_built_incrementally_equal_one_full_refresh(tmp_path: Path) -> None:
    (tmp_path / "silver").mkdir()
    _deliver_history(tmp_path)
    builds: dict[str, set[str]] = {}
    for day in DAYS:
        _build(tmp_path, day=day)
        builds[day] = {
            build for (build,) in _rows(tmp_path, f"select distinct dbt_build_id from silver.stg_partner_csv__employees where ingestion_date = '{day}'")
        }  # fmt: skip
    incremental = {sql: _rows(tmp_path, sql) for sql in (GOLD, LATEST, STAGING)}

    _build(tmp_path, "--full-refresh")

    assert {sql: _rows(tmp_path, sql) for sql in (GOLD, LATEST, STAGING)} == incremental
    assert incremental[GOLD] == [
        (30, True, Decimal("217.00"), 3, Decimal("651.00"), 2025, 4),
        (40, False, Decimal("50.00"), 1, Decimal("50.00"), 2025, 3),
        (50, True, Decimal("500.00"), 1, Decimal("500.00"), 2025, 5),
        (60, True, Decimal("800.00"), 1, Decimal("800.00"), 2025, 5),
    ]
    # Each day's staging rows were written by that day's build only: later days did not rewrite them.
    assert all(len(ids) == 1 for ids in builds.values())
    assert len(set.union(*builds.values())) == len(DAYS)


def test_a_day_rebuilds_only_the_months_its_rows_fall_in(tmp_path: Path) -> None:
    (tmp_path / "silver").mkdir()
    _deliver_history(tmp_path)
    _build(tmp_path, day=DAYS[0])
    _build(tmp_path, day=DAYS[1])
    # Tamper with a month day 3 does not touch: an incremental day-3 build must leave it as it is.
    with duckdb.connect(str(tmp_path / "catalog.duckdb")) as connection:
        connection.execute("update gold_build.salary_averages set idade = 41 where ano = 2025 and mes = 3")

    _build(tmp_path, day=DAYS[2])

    assert _rows(tmp_path, GOLD) == [
        (30, True, Decimal("217.00"), 3, Decimal("651.00"), 2025, 4),  # touched by day 3: rebuilt from every delivery
        (41, False, Decimal("50.00"), 1, Decimal("50.00"), 2025, 3),  # untouched by day 3: not rewritten
        (50, True, Decimal("500.00"), 1, Decimal("500.00"), 2025, 5),
        (60, True, Decimal("800.00"), 1, Decimal("800.00"), 2025, 5),
    ]
