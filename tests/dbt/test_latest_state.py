"""Latest-state silver tables (positional staging: one row per key, the latest delivery winning) built
incrementally on DuckDB: a day's build reads only that day's bronze; days built one by one, a corrected
day rebuilt after later ones included, give row for row what one full refresh over the same inputs
gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.catalog import register_bronze_tables
from core.registry import all_bronze_tables
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.positional.converter import convert_file
from ingestion.positional.sample_data import write_sample_day
from jobs.dbt import DbtSummary, run_dbt

pytestmark = pytest.mark.slow
DAYS = ("2025-06-02", "2025-06-03", "2025-06-04")
SELECT = ["--select", "path:models/staging/positional"]
TABLES = (
    "stg_positional__beneficiaries", "stg_positional__claims", "stg_positional__contracts",
    "stg_positional__coverages", "stg_positional__payments", "stg_positional__plan_catalog",
    "stg_positional__providers",
)  # fmt: skip
COMPILED = Path(".dbt", "target", "compiled", "lakehouse", "models", "staging", "positional")


def _deliver(lake: Path, day: str, rows: int, seed: int) -> None:
    store = LocalObjectStore(lake)
    for key in write_sample_day(store, day, rows, seed):
        convert_file(store, key)


def _build(lake: Path, *arguments: str, day: str | None = None) -> DbtSummary:
    register_bronze_tables(lake / "catalog.duckdb", lake, all_bronze_tables(lake))
    summary = run_dbt(["build", *SELECT, *arguments], Settings(lake=lake), day=day)
    assert summary.success, summary.failures
    return summary


def _tables(lake: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        return {name: connection.execute(f"select * from silver.{name} order by all").fetchall() for name in TABLES}


def _contracts(lake: Path) -> dict[str, str]:
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select numero_contrato, cast(ingestion_date as varchar) from silver.stg_positional__contracts"
        ).fetchall()
    return dict(rows)


def _compiled(lake: Path, model: str) -> str:
    return (lake / COMPILED / f"{model}.sql").read_text()


def test_incremental_days_and_a_corrected_day_equal_one_full_refresh(tmp_path: Path) -> None:
    # Day 2 delivers day 1's contracts again (same seed); its correction later drops half of them, whose
    # latest delivery then is day 1's again.
    _deliver(tmp_path, DAYS[0], 20, seed=2)
    _deliver(tmp_path, DAYS[1], 20, seed=2)
    _deliver(tmp_path, DAYS[2], 20, seed=3)
    for day in DAYS:
        _build(tmp_path, day=day)
    after_day_3 = _contracts(tmp_path)
    ordinary_day = _compiled(tmp_path, "stg_positional__contracts")
    # Day 3 read its own bronze partition only, and never the history.
    assert f"ingestion_date = '{DAYS[2]}'" in ordinary_day and "earlier_deliveries" not in ordinary_day
    redelivered = {number for number, day in after_day_3.items() if day == DAYS[1]}
    assert len(redelivered) >= 10  # day 2 won for the contracts it delivered again

    _deliver(tmp_path, DAYS[1], 10, seed=2)
    _build(tmp_path, day=DAYS[1])
    corrected = _contracts(tmp_path)
    incremental = _tables(tmp_path)

    assert "earlier_deliveries" in _compiled(tmp_path, "stg_positional__contracts")
    dropped = {number for number in redelivered if corrected[number] != DAYS[1]}
    assert dropped and {corrected[number] for number in dropped} == {DAYS[0]}
    assert set(corrected) == set(after_day_3)  # no contract lost, none added
    _build(tmp_path, "--full-refresh")
    assert _tables(tmp_path) == incremental

