"""Times the demo at scale (default 1,000,000 partner rows): rows/s for each stage of `lakehouse demo`,
and the ingestion stage against the naive converter (csv.DictReader + per-row checks + from_pylist)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import tempfile
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.backend import build_backend
from core.settings import Settings
from ingestion.partner_csv.sample_data import write_partner_day
from orchestration.pipeline import run_day

DAY = "2025-03-10"


def naive_ingest(files: list[Path], out: Path) -> int:
    """What a first script would do: decode, DictReader, validate each row in Python, from_pylist."""
    landed = 0
    for index, path in enumerate(files):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        semicolon = text.split("\n", 1)[0].count(";") >= 6
        rows: list[dict[str, Any]] = []
        for record in csv.DictReader(io.StringIO(text), delimiter=";" if semicolon else ","):
            try:
                salary = (
                    record["salario"].replace(".", "").replace(",", ".") if semicolon else record["salario"]
                )
                rows.append(
                    {
                        "id_funcionario": int(record["id_funcionario"]),
                        "nome": record["nome"],
                        "cpf": record["cpf"],
                        "idade": int(record["idade"]),
                        "ativo": record["ativo"].lower() in {"s", "true"},
                        "salario": Decimal(salary),
                        "data_referencia": dt.datetime.strptime(
                            record["data_referencia"], "%d/%m/%Y" if semicolon else "%Y-%m-%d"
                        ).date(),
                    }
                )
            except (ValueError, InvalidOperation, KeyError):
                continue
        pq.write_table(pa.Table.from_pylist(rows), out / f"naive-{index}.parquet")
        landed += len(rows)
    return landed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    options = parser.parse_args()
    rows = 100_000 if options.quick else options.rows

    with tempfile.TemporaryDirectory(prefix="bench-partner-") as folder:
        lake = Path(folder) / "lake"
        began = time.perf_counter()
        files = write_partner_day(lake / "landing", dt.date.fromisoformat(DAY), rows)
        generate = time.perf_counter() - began

        report = run_day(build_backend(Settings(lake=lake)), DAY)
        assert report["status"] == "succeeded", report["dbt"]["failures"]
        timings = report["timings_seconds"]
        read = report["sources"]["partner_csv"]["rows_read"]

        naive_out = Path(folder) / "naive"
        naive_out.mkdir()
        began = time.perf_counter()
        naive_landed = naive_ingest(files, naive_out)
        naive = time.perf_counter() - began

    stages = {
        "generate inputs": generate,
        "ingest (handler + Glue job on local Spark)": timings["ingest_partner_csv"],
        "dbt build (silver + gold + tests)": timings["dbt_build"],
        "publish gold": timings["publish_gold"],
        "naive ingest (DictReader + from_pylist)": naive,
    }
    print(f"partner CSV demo, {read:,} rows read ({naive_landed:,} landed by the naive script)")
    print(f"{'stage':48} {'seconds':>9} {'rows/s':>12}")
    for stage, seconds in stages.items():
        print(f"{stage:48} {seconds:9.2f} {read / seconds:12,.0f}")
    ratio = naive / timings["ingest_partner_csv"]
    print(
        f"ingest speed, ours / naive: {ratio:.2f}x (the naive script also skips lineage, quarantine and manifests)"
    )
    Path("bench-out").mkdir(exist_ok=True)
    Path("bench-out/partner_csv.json").write_text(
        json.dumps({"rows": read, "seconds": stages, "ingest_ratio_vs_naive": ratio}, indent=2)
    )


if __name__ == "__main__":
    main()
