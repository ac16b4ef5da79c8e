"""MySQL publication: our batched upsert against row-by-row INSERT with a commit per row.

    python -m bench.mysql_publish [--quick] [--rows N] [--url mysql://...]

Both start from the same Arrow record batches and write the same table on the same server; without
--url a throwaway MariaDB is started on 127.0.0.1. Writes bench-out/mysql_publish.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from serving.mysql import EMPLOYEES_TABLE, parse_mysql_url, publish_batches
from tests.mysql.rows import batches
from tests.support.mariadb import running_mariadb

OUT = Path("bench-out/mysql_publish.json")


@contextmanager
def server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with (
        tempfile.TemporaryDirectory(prefix="bench-mariadb-") as workdir,
        running_mariadb(Path(workdir)) as db,
    ):
        yield db.url


def execute(url: str, *statements: str) -> list[tuple[Any, ...]]:
    connection = parse_mysql_url(url).connect()
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            rows = list(cursor.fetchall())
        connection.commit()
        return rows
    finally:
        connection.close()


def ours(url: str, data: list[pa.RecordBatch]) -> None:
    publish_batches(url, EMPLOYEES_TABLE, data)


def naive(url: str, data: list[pa.RecordBatch]) -> None:
    """What a first version does: one INSERT and one COMMIT per row, values bound by the driver."""
    columns = EMPLOYEES_TABLE.column_names
    insert = (
        f"INSERT INTO `{EMPLOYEES_TABLE.name}` ({', '.join(f'`{c}`' for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    connection = parse_mysql_url(url).connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(EMPLOYEES_TABLE.create_sql())
            for batch in data:
                for row in batch.to_pylist():
                    cursor.execute(insert, tuple(row[c] for c in columns))
                    connection.commit()
    finally:
        connection.close()


def checksum(url: str) -> tuple[int, str]:
    """Row count and an order-independent digest of every value, to prove both ways wrote the same rows."""
    columns = ", ".join(f"`{c}`" for c in EMPLOYEES_TABLE.column_names)
    ((count, digest),) = execute(
        url, f"SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', {columns}))) FROM `{EMPLOYEES_TABLE.name}`"
    )
    return int(count), str(digest)


def timed(
    url: str, run: Callable[[str, list[pa.RecordBatch]], None], data: list[pa.RecordBatch]
) -> dict[str, Any]:
    execute(url, f"DROP TABLE IF EXISTS `{EMPLOYEES_TABLE.name}`")
    started = time.perf_counter()
    run(url, data)
    seconds = time.perf_counter() - started
    rows, digest = checksum(url)
    return {
        "seconds": round(seconds, 3),
        "rows": rows,
        "rows_per_second": round(rows / seconds),
        "digest": digest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 rows instead of 100,000")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument(
        "--url", default=None, help="an existing server (its table partner_employees is dropped)"
    )
    args = parser.parse_args()
    total = args.rows or (10_000 if args.quick else 100_000)
    data = batches(total, 10_000)

    with server(args.url) as url:
        results = {"ours": timed(url, ours, data), "naive": timed(url, naive, data)}
    if results["ours"]["digest"] != results["naive"]["digest"] or results["ours"]["rows"] != total:
        raise SystemExit(f"the two ways wrote different rows: {results}")
    ratio = results["naive"]["seconds"] / results["ours"]["seconds"]

    print(f"MySQL publication of {total:,} rows (same server, same rows)")
    print(f"{'approach':<44}{'seconds':>10}{'rows/s':>12}{'ratio':>9}")
    print(
        f"{'ours: upsert, 10k-row txn, 2 writers':<44}{results['ours']['seconds']:>10.3f}"
        f"{results['ours']['rows_per_second']:>12,}{ratio:>8.1f}x"
    )
    print(
        f"{'naive: INSERT + COMMIT per row':<44}{results['naive']['seconds']:>10.3f}"
        f"{results['naive']['rows_per_second']:>12,}{1.0:>8.1f}x"
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"rows": total, "ratio": round(ratio, 1), **results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
