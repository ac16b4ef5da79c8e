"""Spark without S3A: a Glue job on the aws backend reads and writes the bucket through a staging folder."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from core.s3_staging import StagedS3ObjectStore, active_staging_area, staged_s3_io
from core.storage import S3ObjectStore, store_for_uri
from glue_jobs import partner_csv_to_bronze
from ingestion.manifest import FileManifest
from tests.aws_path.conftest import keys_of

DAY = "2025-03-10"
SOURCE_KEY = f"landing/sftp/acme/{DAY}/folha.csv"
HEADER = "id_funcionario,nome,cpf,idade,ativo,salario,data_referencia\n"


def _options(bucket: str, etag: str) -> dict[str, str]:
    return {
        "lake_uri": f"s3://{bucket}",
        "source_key": SOURCE_KEY,
        "partner": "acme",
        "day": DAY,
        "file_id": "acme~~folha.csv",
        "etag": etag,
        "dialect": "comma",
        "encoding": "utf-8",
        "ingested_at": f"{DAY}T11:00:00.000Z",
    }


def _assert_registered_locations_hold_one_format(s3: Any, bucket: str) -> None:
    """The job registered its partitions; each Hive location holds Parquet only, manifests JSON Lines only."""
    glue = boto3.client("glue")
    for table, suffix in (
        ("partner_csv_employees", ".parquet"),
        ("partner_csv_quarantine", ".parquet"),
        ("ingestion_manifests", ".json"),
    ):
        partitions = glue.get_partitions(DatabaseName="bronze", TableName=table)["Partitions"]
        locations = [
            item["StorageDescriptor"]["Location"]
            for item in partitions
            if item["StorageDescriptor"]["Location"].startswith(f"s3://{bucket}/")
        ]
        assert locations, table
        for location in locations:
            found = keys_of(s3, bucket, location.removeprefix(f"s3://{bucket}/"))
            assert found and all(key.endswith(suffix) for key in found), found
            if suffix == ".json":
                for key in found:
                    lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
                    assert len(lines) == 1 and json.loads(lines[0])["source"] == "partner_csv"


def _parquet(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    rows: list[dict[str, Any]] = pq.read_table(io.BytesIO(body)).to_pylist()
    return rows


def test_outside_a_staging_area_an_s3_lake_is_plain_s3(bucket: str) -> None:
    store = store_for_uri(f"s3://{bucket}")
    assert type(store) is S3ObjectStore and store.uri("a/b") == f"s3://{bucket}/a/b"
    assert active_staging_area() is None


def test_uri_downloads_objects_and_prefixes_and_outputs_are_uploaded_on_exit(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    s3.put_object(Bucket=bucket, Key="landing/x/one.csv", Body=b"1")
    s3.put_object(Bucket=bucket, Key="landing/x/sub/two.csv", Body=b"22")
    with staged_s3_io(tmp_path) as area:
        store = store_for_uri(f"s3://{bucket}")
        assert isinstance(store, StagedS3ObjectStore)
        assert Path(store.uri("landing/x/one.csv")).read_bytes() == b"1"
        folder = Path(store.uri("landing/x"))
        assert (folder / "sub" / "two.csv").read_bytes() == b"22"

        # What "Spark" writes locally is listed, read and moved like an S3 object.
        out = Path(store.uri("_staging/run"))
        out.mkdir(parents=True)
        (out / "part-0000.parquet").write_bytes(b"PAR1")
        (out / ".part-0000.parquet.crc").write_bytes(b"crc")
        (out / "_SUCCESS").write_bytes(b"")
        assert [info.key for info in store.list("_staging/run")] == [
            "_staging/run/_SUCCESS",
            "_staging/run/part-0000.parquet",
        ]
        assert store.read_bytes("_staging/run/part-0000.parquet") == b"PAR1"
        store.move("_staging/run/part-0000.parquet", "bronze/t/data.parquet")
        assert not (out / "part-0000.parquet").exists()
        store.delete_prefix("_staging")
        Path(store.uri("gold/left.txt")).parent.mkdir(parents=True)
        Path(store.uri("gold/left.txt")).write_bytes(b"left by the job")
        # Nothing local-only is on S3 before the job ends.
        assert "gold/left.txt" not in keys_of(s3, bucket)
        root = area.root
    assert s3.get_object(Bucket=bucket, Key="bronze/t/data.parquet")["Body"].read() == b"PAR1"
    assert s3.get_object(Bucket=bucket, Key="gold/left.txt")["Body"].read() == b"left by the job"
    # The downloads are not re-uploaded, Spark's bookkeeping never leaves the folder, the folder is gone.
    assert keys_of(s3, bucket) == [
        "bronze/t/data.parquet",
        "gold/left.txt",
        "landing/x/one.csv",
        "landing/x/sub/two.csv",
    ]
    assert not root.exists()


def test_a_failing_job_uploads_nothing_it_left_locally(s3: Any, bucket: str, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), staged_s3_io(tmp_path):
        store = store_for_uri(f"s3://{bucket}")
        target = Path(store.uri("bronze/half.parquet"))
        target.parent.mkdir(parents=True)
        target.write_bytes(b"half")
        raise RuntimeError("the job crashed")
    assert keys_of(s3, bucket) == []
    assert active_staging_area() is None


@pytest.mark.spark
def test_partner_csv_glue_job_runs_on_local_spark_against_the_bucket(
    spark: SparkSession, s3: Any, bucket: str, tmp_path: Path
) -> None:
    body = HEADER + "1,Ana,,30,true,1000.50,2025-03-01\n2,Bia,,abc,true,10.00,2025-03-01\n"
    s3.put_object(Bucket=bucket, Key=SOURCE_KEY, Body=body.encode())
    etag = s3.head_object(Bucket=bucket, Key=SOURCE_KEY)["ETag"].strip('"')

    with staged_s3_io(tmp_path):
        manifest = partner_csv_to_bronze.run_job(spark, _options(bucket, etag))

    assert (manifest.rows_read, manifest.rows_landed, manifest.rows_quarantined) == (2, 1, 1)
    bronze_key = f"bronze/partner_csv/ingestion_date={DAY}/acme~~folha.csv.parquet"
    rejected_key = f"quarantine/partner_csv/{DAY}/rows/acme~~folha.csv.parquet"
    assert [row["id_funcionario"] for row in _parquet(s3, bucket, bronze_key)] == [1]
    assert [row["source_line"] for row in _parquet(s3, bucket, rejected_key)] == [3]
    stored = FileManifest.from_json(
        s3.get_object(Bucket=bucket, Key=f"reports/manifests/partner_csv/{DAY}/acme~~folha.csv.json")["Body"].read()
    )
    assert stored.outputs == [bronze_key, rejected_key]
    assert not any(key.startswith("_staging") for key in keys_of(s3, bucket))
    _assert_registered_locations_hold_one_format(s3, bucket)

    # A corrected redelivery: the stale rejected rows are deleted on S3, as the job does on Glue.
    fixed = HEADER + "1,Ana,,30,true,1000.50,2025-03-01\n2,Bia,,31,true,10.00,2025-03-01\n"
    s3.put_object(Bucket=bucket, Key=SOURCE_KEY, Body=fixed.encode())
    etag = s3.head_object(Bucket=bucket, Key=SOURCE_KEY)["ETag"].strip('"')
    with staged_s3_io(tmp_path):
        manifest = partner_csv_to_bronze.run_job(spark, _options(bucket, etag))
    assert (manifest.rows_landed, manifest.rows_quarantined) == (2, 0)
    assert rejected_key not in keys_of(s3, bucket)
    assert [row["id_funcionario"] for row in _parquet(s3, bucket, bronze_key)] == [1, 2]
    assert list(tmp_path.iterdir()) == []
