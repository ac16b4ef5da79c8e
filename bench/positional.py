"""Positional -> Parquet: our streaming converter against the naive one and pandas.read_fwf.

    python -m bench.positional [--quick] [--lines N]

The input is a contracts file (29-character records, cp1252, CRLF, accents in ``descricao``), the
same bytes for every approach. Each approach runs in its own subprocess, so its peak RSS (VmHWM) is
its own; all three write the same typed rows to Parquet, which the run checks. Ours also runs on a
tenth of the lines, to show its memory does not grow with the file. Writes bench-out/positional.json.

Targets: ours >= 15x the naive converter's rows/s; ours' peak RSS <= 1/10 of the naive one's; ours'
peak at N lines <= 1.5x its peak at N/10 lines.
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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.positional.converter import convert_stream
from ingestion.positional.layout import load_layouts

OUT = Path("bench-out/positional.json")
CONTRACTS = load_layouts()["contracts"]
COLUMNS = ["numero_contrato", "plano", "descricao", "id_plano"]
PLANS = [b"BASIC", b"CLASS", b"PLENO", b"SUPER", b"PREMI", b"EXECU"]
KINDS = [
    text.ljust(10).encode("cp1252")
    for text in ("Individual", "Familiar", "Adesão", "Empresa", "PME", "Coletivo", "")
]


def generate(path: Path, lines: int, seed: int = 7) -> None:
    """Writes ``lines`` contract records in chunks (vectorised, so 10M lines take seconds)."""
    rng = np.random.default_rng(seed)
    with path.open("wb") as handle:
        for start in range(0, lines, 1_000_000):
            count = min(1_000_000, lines - start)
            plan = rng.integers(0, len(PLANS), count)
            numbers = np.char.zfill(np.arange(start + 1, start + count + 1).astype("S10"), 10)
            records = np.char.add(numbers, np.array(PLANS)[plan])
            records = np.char.add(records, np.array(KINDS)[rng.integers(0, len(KINDS), count)])
            records = np.char.add(records, np.char.zfill((plan + 1).astype("S4"), 4))
            handle.write(b"\r\n".join(records.tolist()) + b"\r\n")


def peak_rss_mb() -> float:
    """This process' high-water mark of resident memory."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(source: Path, target: Path) -> int:
    with source.open("rb") as stream:
        result = convert_stream(CONTRACTS, stream, str(source), target, target.with_suffix(".rejected"))
    return result.rows_landed


def run_naive(source: Path, target: Path) -> int:
    """What a first version does: every line sliced into a dict, one Arrow table, one Parquet write."""
    with source.open(encoding="cp1252", newline=None) as handle:
        lines = handle.read().splitlines()
    rows = [
        {
            "numero_contrato": line[0:10].strip(),
            "plano": line[10:15].strip(),
            "descricao": line[15:25].strip() or None,
            "id_plano": int(line[25:29]),
        }
        for line in lines
    ]
    pq.write_table(pa.Table.from_pylist(rows), target)
    return len(rows)


def run_pandas(source: Path, target: Path) -> int:
    frame = pd.read_fwf(
        source,
        colspecs=[(0, 10), (10, 15), (15, 25), (25, 29)],
        names=COLUMNS,
        dtype={"numero_contrato": str, "plano": str, "descricao": str, "id_plano": "int64"},
        encoding="cp1252",
        header=None,
    )
    frame.to_parquet(target, index=False)
    return len(frame)


APPROACHES = {"ours": run_ours, "naive": run_naive, "pandas": run_pandas}
LABELS = {
    "ours": "ours: streaming, vectorised (numpy + Arrow)",
    "naive": "naive: lines -> dicts -> Table.from_pylist",
    "pandas": "pandas.read_fwf -> to_parquet",
    "ours_small": "ours, a tenth of the lines",
}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(approach: str, source: Path, target: Path) -> None:
    """Times the conversion only: every approach has its libraries imported and layouts parsed before."""
    started, cpu = time.perf_counter(), cpu_seconds()
    rows = APPROACHES[approach](source, target)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak_rss_mb()}))


def measure(approach: str, source: Path, target: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.positional", "--worker", approach, str(source), str(target)]
    finished = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    size_mb = source.stat().st_size / 1e6
    result.update(
        approach=approach,
        lines=result["rows"],
        input_mb=round(size_mb, 1),
        mb_per_second=round(size_mb / result["seconds"], 1),
        rows_per_second=round(result["rows"] / result["seconds"]),
        seconds=round(result["seconds"], 2),
        cpu_seconds=round(result["cpu_seconds"], 2),
        peak_rss_mb=round(result["peak_rss_mb"], 1),
    )
    return result


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run, with every run's time and the highest peak RSS of all runs."""
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["all_seconds"] = [run["seconds"] for run in runs]
    best["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    return best


def same_rows(*paths: Path) -> bool:
    tables = [pq.read_table(path, columns=COLUMNS) for path in paths]
    step = max(1, tables[0].num_rows // 10_000)
    sample = [{name: table.column(name).to_pylist()[::step] for name in COLUMNS} for table in tables]
    return all(table.num_rows == tables[0].num_rows for table in tables) and all(
        item == sample[0] for item in sample
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000,000 lines instead of 10,000,000")
    parser.add_argument("--lines", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours and of the naive converter")
    parser.add_argument("--worker", nargs=3, metavar=("APPROACH", "SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), Path(args.worker[2]))
        return
    lines = args.lines or (1_000_000 if args.quick else 10_000_000)

    with tempfile.TemporaryDirectory(prefix="bench-positional-") as folder:
        work = Path(folder)
        big, small = work / "contracts.txt", work / "contracts-small.txt"
        generate(big, lines)
        generate(small, lines // 10)
        runs: dict[str, list[dict[str, Any]]] = {"ours": [], "naive": [], "ours_small": []}
        for _ in range(max(args.repeat, 1)):
            runs["ours"].append(measure("ours", big, work / "ours.parquet"))
            runs["naive"].append(measure("naive", big, work / "naive.parquet"))
            runs["ours_small"].append(measure("ours", small, work / "ours-small.parquet"))
        results = {name: fastest(items) for name, items in runs.items()}
        results["pandas"] = measure("pandas", big, work / "pandas.parquet")
        results["pandas"]["all_seconds"] = [results["pandas"]["seconds"]]
        if not same_rows(work / "ours.parquet", work / "naive.parquet", work / "pandas.parquet"):
            raise SystemExit("the approaches wrote different rows")

    ours, naive = results["ours"], results["naive"]
    speed = ours["rows_per_second"] / naive["rows_per_second"]
    memory = naive["peak_rss_mb"] / ours["peak_rss_mb"]
    growth = ours["peak_rss_mb"] / results["ours_small"]["peak_rss_mb"]
    targets = {
        "speed_vs_naive >= 15x": speed >= 15,
        "peak_rss <= naive / 10": memory >= 10,
        f"peak_rss({lines:,}) <= 1.5 x peak_rss({lines // 10:,})": growth <= 1.5,
    }

    print(f"Positional -> Parquet, contracts layout, {lines:,} lines ({ours['input_mb']} MB, cp1252, CRLF)")
    print(
        f"{'approach':<46}{'lines':>12}{'seconds':>9}{'CPU s':>8}{'MB/s':>8}{'rows/s':>12}{'peak RSS MB':>13}{'speed':>8}"
    )
    for key in ("ours", "naive", "pandas", "ours_small"):
        row = results[key]
        ratio = row["rows_per_second"] / naive["rows_per_second"]
        print(
            f"{LABELS[key]:<46}{row['lines']:>12,}{row['seconds']:>9.2f}{row['cpu_seconds']:>8.2f}"
            f"{row['mb_per_second']:>8.1f}{row['rows_per_second']:>12,}{row['peak_rss_mb']:>13.1f}{ratio:>7.1f}x"
        )
    print(
        f"ours vs naive: {speed:.1f}x rows/s, {memory:.1f}x less peak memory, "
        f"{naive['cpu_seconds'] / ours['cpu_seconds']:.1f}x less CPU; ours' peak grows {growth:.2f}x for 10x lines"
    )
    print(
        f"ours vs pandas.read_fwf: {ours['rows_per_second'] / results['pandas']['rows_per_second']:.1f}x rows/s"
    )
    print(f"all runs (s): ours {ours['all_seconds']}, naive {naive['all_seconds']}")
    for target, met in targets.items():
        print(f"  target {target}: {'met' if met else 'NOT met'}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "speed_vs_naive": round(speed, 1),
        "memory_vs_naive": round(memory, 1),
        "rss_growth_10x": round(growth, 2),
    }
    OUT.write_text(
        json.dumps({"lines": lines, **summary, "targets": targets, "results": results}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
