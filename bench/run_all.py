"""`make bench`: every benchmark in turn, each printing its own side-by-side table. BENCH_ARGS=--quick for a short run."""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys

BENCHMARKS = ("partner_csv", "positional", "mysql_publish", "aurora", "client_health", "daily_growth")


def main() -> int:
    extra = shlex.split(os.environ.get("BENCH_ARGS", ""))
    failed = []
    for name in BENCHMARKS:
        if importlib.util.find_spec(f"bench.{name}") is None:
            continue
        print(f"\n=== bench.{name} {' '.join(extra)}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}", *extra], check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
