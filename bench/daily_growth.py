"""The end-of-day dbt build as history grows: day N's build against day 1's, on the local target.

Each day gets the bronze of the demo's partner CSV deliveries (the rows of
``ingestion.partner_csv.sample_data``, demo size: 2,000 rows in 4 files a day, reference months the 3
before the day, a new seed each day), written directly as the Glue job lands them, and the demo's seven
positional files (a quarter of those rows each, new contracts every day), converted by the positional
converter as the Lambda does. The build timed is those two lineages of the project, with the day as
dbt's ``day`` var, as ``lakehouse run`` passes it: the partner CSV's (bronze source tests, the incremental
staging model, the latest-delivery view, the incremental gold.salary_averages) and the positional one's
(the seven latest-state staging tables, one row per key, and gold.contract_plans), with every test on
them:

- day 1's build, on a lake holding day 1 only;
- day N's build, on a lake holding days 1..N (days 2..N-1 built by one catch-up build: an incremental
  build without the day var processes every day after the last one built, which gives the same tables
  as daily builds, see tests/dbt);
- side by side, the naive approach: a full rebuild (``--full-refresh``) at day N, which rereads the
  whole history as every day's build did before the models were incremental.

Each build is run ``--repeat`` times (a day's build is idempotent: it replaces that day's rows and
months); the medians reported are the wall time of the dbt process and dbt's own elapsed time (models
and tests, without interpreter start-up and parsing); the load average is printed beside, since the
machine is shared. Target: day N / day 1 <= 1.5 on both, and the incremental history's
gold.salary_averages and positional staging tables equal, row for row, to the full refresh's.

    python -m bench.daily_growth [--days 60] [--rows 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

FIRST_DAY = dt.date(2025, 1, 1)
# The partner CSV lineage (staging, the latest-delivery view, salary_averages) and the positional one
# (the latest-state staging tables, contract_plans), their sources and tests. Tests come with it when all
# their parents are in it (the rows-reconcile test also reads the manifests).
SELECT = [
    "+salary_averages", "+int_partner_csv__employees_latest", "+contract_plans", "path:models/staging/positional",
    "--indirect-selection", "cautious",
]  # fmt: skip
# Tables a full refresh must reproduce, row for row, from the incremental history.
COMPARED = (
    "gold_build.salary_averages",
    "silver.stg_positional__contracts",
    "silver.stg_positional__beneficiaries",
    "silver.stg_positional__payments",
    "silver.stg_positional__claims",
)
TARGET_RATIO = 1.5


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def deliver_day(lake: Path, day: dt.date, rows: int, seed: int) -> int:
    """The bronze the demo's partner uploads of ``day`` land as, written directly (no Spark: landing is
    bench.partner_csv's subject, and on Spark it costs minutes a day here). The same rows as the demo's
    files: one file per partner and the first partner's correction file; the demo's deliberately bad
    rows would be quarantined, so they are left out. Returns the rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.calendar import SAO_PAULO
    from core.layout import LandedFile
    from ingestion.partner_csv.contract import BRONZE_SCHEMA, BRONZE_TABLE
    from ingestion.partner_csv.sample_data import PARTNERS, generate_employees

    employees = generate_employees(rows, day, seed)
    uploads = [
        (
            partner,
            "funcionarios.csv",
            [e for e in employees if PARTNERS[e.id_funcionario % len(PARTNERS)][0] == partner],
        )
        for partner, _dialect in PARTNERS
    ]
    first_partner = PARTNERS[0][0]
    corrected = [
        replace(employee, salario=employee.salario + Decimal("100.00")) for employee in uploads[0][2][:5]
    ]
    uploads.append((first_partner, "funcionarios_correcao.csv", corrected))
    delivered = dt.datetime.combine(day, dt.time(8, 0), tzinfo=SAO_PAULO).astimezone(dt.UTC)
    written = 0
    for minute, (partner, name, partner_rows) in enumerate(uploads):
        key = f"landing/sftp/{partner}/{day.isoformat()}/{name}"
        file_id = LandedFile(key=key, day=day.isoformat(), name=name, owner=partner).file_id
        table = pa.Table.from_pylist(
            [
                {
                    **{column: getattr(employee, column) for column in BRONZE_SCHEMA.names[:7]},
                    "partner": partner,
                    "source_file": key,
                    "source_line": line,
                    "ingested_at": delivered + dt.timedelta(minutes=minute),
                }
                for line, employee in enumerate(partner_rows, start=2)
            ],
            schema=BRONZE_SCHEMA,
        )
        target = lake / BRONZE_TABLE.prefix / f"ingestion_date={day.isoformat()}" / f"{file_id}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target)
        written += table.num_rows
    return written


def deliver_positional_day(lake: Path, day: dt.date, rows: int, seed: int) -> int:
    """The demo's seven positional files of ``day``, converted to bronze; returns the rows landed."""
    from core.storage import LocalObjectStore
    from ingestion.positional.converter import convert_file
    from ingestion.positional.sample_data import write_sample_day

    store = LocalObjectStore(lake)
    return sum(convert_file(store, key).rows_landed for key in write_sample_day(store, day.isoformat(), rows, seed))


def deliver(lake: Path, day: dt.date, rows: int, seed: int) -> int:
    """Both sources' deliveries of ``day``: partner rows and a quarter of them per positional file."""
    return deliver_day(lake, day, rows, seed) + deliver_positional_day(lake, day, max(rows // 4, 50), seed)


def build(settings: Any, day: dt.date | None, *extra: str) -> tuple[float, float]:
    """One ``dbt build`` of the two lineages: (wall seconds of the dbt process, dbt's own elapsed
    seconds from run_results.json: the models and tests, without interpreter start and parsing)."""
    from core.catalog import register_bronze_tables
    from core.layout import LakeLayout
    from core.registry import all_bronze_tables
    from jobs.dbt import run_dbt

    lake = settings.lake
    register_bronze_tables(lake / "catalog.duckdb", lake, all_bronze_tables(lake))
    began = time.perf_counter()
    summary = run_dbt(["build", "--select", *SELECT, *extra], settings, day=day.isoformat() if day else None)
    seconds = time.perf_counter() - began
    if not summary.success:
        raise RuntimeError(f"dbt build failed: {summary.failures}")
    results = json.loads((LakeLayout.local(lake).dbt_folder / "target" / "run_results.json").read_text())
    return seconds, float(results["elapsed_time"])


def timed_builds(settings: Any, day: dt.date | None, repeat: int, *extra: str) -> dict[str, Any]:
    walls, elapsed = zip(*(build(settings, day, *extra) for _ in range(repeat)), strict=True)
    return {
        "wall_seconds": round(statistics.median(walls), 2),
        "dbt_elapsed_seconds": round(statistics.median(elapsed), 2),
        "runs_wall": [round(value, 2) for value in walls],
        "runs_dbt_elapsed": [round(value, 2) for value in elapsed],
    }


def staging_rows(lake: Path) -> int:
    import duckdb

    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        row = connection.execute("select count(*) from silver.stg_partner_csv__employees").fetchone()
    return int(row[0]) if row else 0


def compared_rows(lake: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The compared tables, every row in a total order (what a full refresh must reproduce)."""
    import duckdb

    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        return {table: connection.execute(f"select * from {table} order by all").fetchall() for table in COMPARED}


def daily_growth(days: int, rows: int, repeat: int, seed: int) -> dict[str, Any]:
    from core.settings import Settings

    if days < 2:
        raise ValueError("--days must be at least 2")
    results: dict[str, Any] = {
        "days": days,
        "rows_per_day": rows,
        "repeat": repeat,
        "load_before": load_average(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-daily-") as folder:
        settings = Settings(lake=Path(folder) / "lake")
        (settings.lake / "silver").mkdir(parents=True)
        calendar = [FIRST_DAY + dt.timedelta(days=offset) for offset in range(days)]

        began = time.perf_counter()
        landed = deliver(settings.lake, calendar[0], rows, seed)
        results["write_bronze_day_1_seconds"] = round(time.perf_counter() - began, 2)
        results["day_1"] = {**timed_builds(settings, calendar[0], repeat), "rows_landed": landed}

        began = time.perf_counter()
        for offset, day in enumerate(calendar[1:-1], start=1):
            deliver(settings.lake, day, rows, seed + offset)
        results["write_bronze_middle_days_seconds"] = round(time.perf_counter() - began, 2)
        if days > 2:
            results["catch_up_build_wall_seconds"] = round(build(settings, None)[0], 2)

        landed = deliver(settings.lake, calendar[-1], rows, seed + days - 1)
        results[f"day_{days}"] = {
            **timed_builds(settings, calendar[-1], repeat),
            "rows_landed": landed,
            "staging_rows_in_history": staging_rows(settings.lake),
        }
        incremental = compared_rows(settings.lake)
        results[f"full_refresh_day_{days}"] = timed_builds(settings, None, 1, "--full-refresh")
        # The incremental history (day 1, the catch-up, day N, each day's repeats) gives a full refresh's tables.
        results["incremental_rows"] = {table: len(rows) for table, rows in incremental.items()}
        results["incremental_equals_full_refresh"] = incremental == compared_rows(settings.lake)
        results["load_after"] = load_average()
    for measure in ("wall_seconds", "dbt_elapsed_seconds"):
        day_1 = results["day_1"][measure]
        results[f"incremental_ratio_{measure}"] = round(results[f"day_{days}"][measure] / day_1, 2)
        results[f"full_refresh_ratio_{measure}"] = round(
            results[f"full_refresh_day_{days}"][measure] / day_1, 2
        )
    results["target_met"] = results["incremental_equals_full_refresh"] and (
        max(results["incremental_ratio_wall_seconds"], results["incremental_ratio_dbt_elapsed_seconds"])
        <= TARGET_RATIO
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument(
        "--rows", type=int, default=2000, help="partner CSV rows per day (the demo's default)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="builds timed per measured day (median)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10 days, one build each")
    arguments = parser.parse_args()
    days, repeat = (10, 1) if arguments.quick else (arguments.days, arguments.repeat)
    results = daily_growth(days, arguments.rows, repeat, arguments.seed)
    print(json.dumps(results, indent=2))
    for measure in ("wall_seconds", "dbt_elapsed_seconds"):
        print(
            f"{measure}: day {days} build / day 1 build: {results[f'incremental_ratio_{measure}']}x "
            f"(target <= {TARGET_RATIO}x); full refresh at day {days} / day 1: "
            f"{results[f'full_refresh_ratio_{measure}']}x"
        )
    print(
        f"{', '.join(COMPARED)} after {days} incremental days equal a full refresh: "
        f"{results['incremental_equals_full_refresh']} ({results['incremental_rows']} rows)"
    )
    sys.exit(0 if results["target_met"] else 1)


if __name__ == "__main__":
    main()
