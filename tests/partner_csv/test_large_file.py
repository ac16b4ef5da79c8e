"""A 200 MB partner CSV (the size that ran the old whole-file job out of memory) lands in full."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from bench.partner_csv import DAY, land_with_glue_job, write_partner_csv_of_size

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_a_200_mb_file_lands_in_full_with_the_default_driver_memory(
    spark: SparkSession, tmp_path: Path
) -> None:
    key = f"landing/sftp/acme/{DAY}/big.csv"
    (tmp_path / key).parent.mkdir(parents=True)
    rows = write_partner_csv_of_size(tmp_path / key, 200)
    assert (tmp_path / key).stat().st_size >= 200 * 2**20

    landed = land_with_glue_job(spark, tmp_path, key)  # the `spark` fixture: local[2], 2g, the default

    assert landed["rows_read"] == rows
    assert landed["rows_landed"] + landed["rows_quarantined"] == rows
    assert landed["rows_quarantined"] == rows // 1000  # the generator's one bad row in a thousand
