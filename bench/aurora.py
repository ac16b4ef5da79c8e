"""Aurora extraction: ours (COPY -> Arrow CSV stream -> Parquet) against ``pandas.read_sql`` + ``to_parquet``.

Starts a throwaway PostgreSQL 15, loads a table of ``--rows`` rows (default 5,000,000) with
``generate_series``, then extracts it once each way, each in its own process so that peak RSS is that
approach's alone. Targets: ours >= 3x the rows/s, <= 1/4 the peak memory. Ours also orders by the
primary key (byte-identical reruns) and keeps numeric(12,2) exact; pandas reads it as float64.

    python -m bench.aurora [--rows N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from tests.support.postgres import PostgresServer

TABLE = "contratos_bench"
DAY = "2025-03-10"
FULL_ROWS = 5_000_000
SPEED_TARGET = 3.0
MEMORY_TARGET = 0.25


def load_sql(rows: int) -> str:
    return f"""
CREATE TABLE {TABLE} AS
SELECT g::bigint AS id,
       lpad(g::text, 10, '0')::char(10) AS numero_contrato,
       (g % 250000)::int AS id_cliente,
       (1 + g % 6)::int AS id_plano,
       round((100 + (g * 7919) % 190000 / 100.0)::numeric, 2)::numeric(12,2) AS valor_mensal,
       ((g * 104729) % 1000000007 / 1000000.0)::numeric(20,6) AS juros,
       (g % 7 <> 0) AS ativo,
       timestamptz '2020-01-01 00:00:00-03' + g * interval '17 seconds' AS assinado_em,
       date '2020-01-01' + (g % 1800)::int AS competencia,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'Contrato ' || (ARRAY['Individual','Familiar','Adesão','Empresa'])[1 + g % 4] END
           AS descricao
FROM generate_series(1::bigint, {rows}::bigint) AS g
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(url: str, out: Path) -> dict[str, Any]:
    from core.storage import LocalObjectStore
    from ingestion.aurora.extract import extract_tables

    began = time.perf_counter()
    [manifest] = extract_tables(url, LocalObjectStore(out), DAY, [TABLE])
    seconds = time.perf_counter() - began
    if manifest.status != "landed":
        raise RuntimeError(manifest.reason)
    return {"rows": manifest.rows_landed, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def run_pandas(url: str, out: Path) -> dict[str, Any]:
    import warnings

    import pandas as pd

    # pandas warns that a raw DB-API connection is "not tested"; psycopg is the driver SQLAlchemy would use.
    warnings.filterwarnings("ignore", category=UserWarning)
    began = time.perf_counter()
    with psycopg.connect(url) as connection:
        frame = pd.read_sql(f"SELECT * FROM {TABLE}", connection)
    frame.to_parquet(out / "pandas.parquet", index=False)
    seconds = time.perf_counter() - began
    return {"rows": len(frame), "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


WORKERS = {"ours": run_ours, "pandas": run_pandas}


def measure(worker: str, url: str, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [sys.executable, "-m", "bench.aurora", "--worker", worker, "--url", url, "--out", str(out)],
        capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{worker} failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=FULL_ROWS)
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        print(json.dumps(WORKERS[options.worker](options.url, options.out)))
        return

    rows = 200_000 if options.quick else options.rows
    server = PostgresServer(extra_options=("-c shared_buffers=512MB",))
    try:
        server.start()
        began = time.perf_counter()
        with psycopg.connect(server.url, autocommit=True) as connection:
            connection.execute(load_sql(rows))  # type: ignore[arg-type]
            connection.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")  # type: ignore[arg-type]
            connection.execute(f"VACUUM ANALYZE {TABLE}")  # type: ignore[arg-type]
        load_seconds = time.perf_counter() - began
        with tempfile.TemporaryDirectory(prefix="bench-aurora-") as folder:
            results = {name: measure(name, server.url, Path(folder) / name) for name in ("ours", "pandas")}
    finally:
        server.stop()

    for result in results.values():
        if result["rows"] != rows:
            raise RuntimeError(f"expected {rows} rows, got {result}")
    ours, pandas = results["ours"], results["pandas"]
    speed = pandas["seconds"] / ours["seconds"]
    memory = ours["peak_rss_mb"] / pandas["peak_rss_mb"]
    print(f"Aurora extraction, PostgreSQL 15, {rows:,} rows x 10 columns (loaded in {load_seconds:.1f}s)")
    print(f"{'approach':34} {'seconds':>9} {'rows/s':>12} {'peak RSS MB':>12}")
    labels = {"ours": "ours (COPY -> Arrow -> Parquet)", "pandas": "pandas.read_sql + to_parquet"}
    for name, result in results.items():
        print(f"{labels[name]:34} {result['seconds']:9.2f} {rows / result['seconds']:12,.0f} {result['peak_rss_mb']:12,.0f}")
    print(
        f"speed ours/pandas: {speed:.2f}x (target >= {SPEED_TARGET:g}x: {'met' if speed >= SPEED_TARGET else 'MISSED'}); "
        f"memory ours/pandas: {memory:.2f} (target <= {MEMORY_TARGET:g}: {'met' if memory <= MEMORY_TARGET else 'MISSED'})"
    )
    if rows < FULL_ROWS:
        print(f"(the targets are for {FULL_ROWS:,} rows; at this size fixed costs such as imports dominate)")
    Path("bench-out").mkdir(exist_ok=True)
    Path("bench-out/aurora.json").write_text(
        json.dumps(
            {"rows": rows, "load_seconds": load_seconds, "results": results, "speed_ratio": speed, "memory_ratio": memory},
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
