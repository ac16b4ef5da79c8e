"""Issue 14 for the client files: silver and gold are incremental by ingestion day (the day's bronze
partitions only; gold rebuilds only the convenios the day touches), and two incremental days give the
same gold, row for row, as one --full-refresh over the same inputs, clients who changed plan included."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pyspark.sql import SparkSession

from core import registry
from core.backend import build_backend
from core.settings import Settings
from ingestion.client_health.pseudonym import pseudonymous_id
from jobs.dbt import DbtSummary, run_dbt
from tests.client_health.plan_changes import (
    DAY_1,
    DAY_2,
    DAYS,
    KEY,
    LONE_CONVENIO,
    LONER,
    MOVER,
    SELECT,
    STAYER,
    land_day,
)

pytestmark = [pytest.mark.slow, pytest.mark.spark]


@dataclass(frozen=True)
class History:
    lake: Path
    settings: Settings
    builds: dict[str, DbtSummary]
    compiled_day_2: dict[str, str]  # model -> the SQL day 2's build ran


COMPILED = Path(".dbt", "target", "compiled", "lakehouse", "models")
MODELS = {
    "stg_client_health__clientes_csv": "staging/client_health",
    "client_health": "marts/client_health",
    "int_client_health__clientes_latest": "intermediate/client_health",
}


def _land_and_build(spark: SparkSession, lake: Path, settings: Settings, day: str) -> DbtSummary:
    land_day(spark, lake, day)
    build_backend(settings).catalog.register_bronze(registry.all_bronze_tables(lake.resolve()))
    return run_dbt(["build", *SELECT], settings, day=day)


@pytest.fixture(scope="module")
def history(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    lake = tmp_path_factory.mktemp("incremental") / "lake"
    (lake / "silver").mkdir(parents=True)  # where dbt-duckdb writes external (Parquet) silver
    settings = Settings().for_lake(lake)
    builds = {day: _land_and_build(spark, lake, settings, day) for day in DAYS}
    compiled = {name: (lake / COMPILED / folder / f"{name}.sql").read_text() for name, folder in MODELS.items()}
    yield History(lake, settings, builds, compiled)


def _rows(lake: Path, relation: str, order: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        return connection.execute(f"select * from {relation} order by {order}").fetchall()


def _build_ids(lake: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select cast(ingestion_date as varchar), dbt_build_id from silver.stg_client_health__clientes_parquet"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for day, build in rows:
        found.setdefault(day, set()).add(build)
    return found


def test_each_day_builds_and_the_second_leaves_the_first_days_silver_alone(history: History) -> None:
    for day, summary in history.builds.items():
        assert summary.success, (day, summary.failures)
    build_ids = _build_ids(history.lake)
    assert set(build_ids) == {DAY_1, DAY_2}
    # One build wrote each day: day 2's incremental build did not rewrite day 1's staging rows.
    assert len(build_ids[DAY_1]) == 1 and len(build_ids[DAY_2]) == 1 and build_ids[DAY_1] != build_ids[DAY_2]
    # Day 2 read only day 2's bronze partition, and gold was rebuilt for the convenios it touched only.
    assert f"ingestion_date = '{DAY_2}'" in history.compiled_day_2["stg_client_health__clientes_csv"]
    # The latest record per CPF: the records staged by day 2's build and the state of their key buckets.
    latest_sql = history.compiled_day_2["int_client_health__clientes_latest"]
    assert "dbt_build_id = cast(" in latest_sql and "kept_state" in latest_sql
    assert "earlier_deliveries" not in latest_sql
    gold_sql = history.compiled_day_2["client_health"]
    assert "touched_convenios" in gold_sql and "where final.convenio in" in gold_sql


def test_clients_who_changed_plan_are_in_their_new_convenio_only(history: History) -> None:
    gold = {row[0]: row for row in _rows(history.lake, "gold_build.client_health", "id")}
    convenio = {cpf: gold[pseudonymous_id(KEY, cpf)][-1] for cpf in (MOVER, LONER, STAYER)}
    assert convenio == {MOVER: "Unimed", LONER: "SUS", STAYER: "SUS"}
    assert LONE_CONVENIO not in {row[-1] for row in gold.values()}  # its only client left


def test_two_incremental_days_equal_one_full_refresh(history: History) -> None:
    incremental_gold = _rows(history.lake, "gold_build.client_health", "id")
    incremental_quarantine = _rows(history.lake, "silver.int_client_health__quarantined", "source_file, source_row")
    incremental_latest = _rows(history.lake, "silver.int_client_health__clientes_latest", "cpf")
    assert incremental_gold and incremental_quarantine and incremental_latest

    full = run_dbt(["build", *SELECT, "--full-refresh"], history.settings)

    assert full.success, full.failures
    assert _rows(history.lake, "gold_build.client_health", "id") == incremental_gold
    assert _rows(history.lake, "silver.int_client_health__quarantined", "source_file, source_row") == incremental_quarantine
    assert _rows(history.lake, "silver.int_client_health__clientes_latest", "cpf") == incremental_latest
