"""``python -m tests.mysql.slow_publisher URL TOTAL BATCH DELAY``: publishes, pausing between batches."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pyarrow as pa

from serving.mysql import EMPLOYEES_TABLE, publish_batches
from tests.mysql.rows import batches


def slowly(total: int, size: int, delay: float) -> Iterator[pa.RecordBatch]:
    for batch in batches(total, size):
        yield batch
        time.sleep(delay)


if __name__ == "__main__":
    url, total, size, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    publish_batches(url, EMPLOYEES_TABLE, slowly(total, size, delay))
