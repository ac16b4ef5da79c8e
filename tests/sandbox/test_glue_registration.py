"""Bronze tables registered in Glue from their BronzeTable declarations, read back through Athena.

A Glue location cannot glob: the quarantine prefix holds Parquet rows beside the rejected CSV and its
reason.json, so each day is a partition whose location is the day's rows/ folder only."""

from __future__ import annotations

import io
import json
import uuid

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.catalog import partition_keys, register_bronze_tables_in_glue
from ingestion.ingestion_tables import MANIFESTS_TABLE
from ingestion.partner_csv.contract import BRONZE_TABLE, QUARANTINE_TABLE
from sandbox import Sandbox
from tests.sandbox.athena_client import ok


@pytest.fixture
def bucket(sandbox_environment: Sandbox) -> str:
    name = f"glue-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_partition_keys_follow_the_file_pattern() -> None:
    assert partition_keys(BRONZE_TABLE) == ["ingestion_date"]
    assert partition_keys(QUARANTINE_TABLE) == ["partition_0"]
    assert partition_keys(MANIFESTS_TABLE) == ["partition_0", "partition_1"]


def test_quarantine_rows_are_read_without_the_files_beside_them(bucket: str) -> None:
    s3, glue = boto3.client("s3"), boto3.client("glue")
    rows = pa.table(
        {
            "source_file": ["a.csv", "a.csv"],
            "source_line": pa.array([2, 3], pa.int64()),
            "raw_line": ["x", "y"],
            "reason_code": ["salario:invalid", "idade:missing"],
            "reason": ["not a number", "required"],
        }
    )
    base = QUARANTINE_TABLE.prefix
    s3.put_object(Bucket=bucket, Key=f"{base}/2025-04-02/rows/a.parquet", Body=_parquet(rows))
    s3.put_object(Bucket=bucket, Key=f"{base}/2025-04-02/files/a.csv", Body=b"id;x\n1;2\n")
    s3.put_object(Bucket=bucket, Key=f"{base}/2025-04-02/files/reason.json", Body=b'{"reason": "whole file"}')
    database = f"bronze_{uuid.uuid4().hex[:8]}"
    assert register_bronze_tables_in_glue(bucket, s3, glue, [QUARANTINE_TABLE], database) == {
        QUARANTINE_TABLE.name: 1
    }
    result = ok(
        f"select reason_code, partition_0 from {database}.{QUARANTINE_TABLE.name} order by source_line",
        bucket,
    )
    assert result.rows == [("salario:invalid", "2025-04-02"), ("idade:missing", "2025-04-02")]
    # A rerun registers nothing new; a new day is one new partition.
    s3.put_object(Bucket=bucket, Key=f"{base}/2025-04-03/rows/b.parquet", Body=_parquet(rows))
    assert register_bronze_tables_in_glue(bucket, s3, glue, [QUARANTINE_TABLE], database) == {
        QUARANTINE_TABLE.name: 1
    }
    assert register_bronze_tables_in_glue(bucket, s3, glue, [QUARANTINE_TABLE], database) == {
        QUARANTINE_TABLE.name: 0
    }


def test_manifests_are_json_lines_read_by_athena(bucket: str) -> None:
    from ingestion.manifest import FileManifest

    s3, glue = boto3.client("s3"), boto3.client("glue")
    manifest = FileManifest.from_json(
        json.dumps(
            {
                "source": "partner_csv",
                "day": "2025-04-02",
                "file_id": "f1",
                "key": "landing/sftp/acme/2025-04-02/a.csv",
                "etag": "e",
                "status": "landed",
                "rows_read": 3,
                "rows_landed": 2,
                "rows_quarantined": 1,
                "quarantined_by_reason": {"salario:invalid": 1},
            }
        )
    )
    assert manifest.to_json().count(b"\n") == 1
    s3.put_object(
        Bucket=bucket, Key=f"{MANIFESTS_TABLE.prefix}/partner_csv/2025-04-02/f1.json", Body=manifest.to_json()
    )
    database = f"bronze_{uuid.uuid4().hex[:8]}"
    register_bronze_tables_in_glue(bucket, s3, glue, [MANIFESTS_TABLE], database)
    result = ok(
        f"select file_id, rows_read, partition_0, partition_1 from {database}.ingestion_manifests", bucket
    )
    assert result.rows == [("f1", "3", "partner_csv", "2025-04-02")]


def test_an_object_deleted_while_a_location_is_listed_is_left_out(
    bucket: str, sandbox_environment: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt runs models on threads: a listing may see a key that another request deletes before it is read
    (moto's own listing then raised KeyError, which surfaced as GENERIC_INTERNAL_ERROR in a test)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from sandbox.glue import SandboxCatalog

    s3 = boto3.client("s3")
    for name in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=f"t/{name}.parquet", Body=b"PAR1")
    s3.delete_object(Bucket=bucket, Key="t/c.parquet")  # a versioned bucket would keep a delete marker
    stored = s3_backends[DEFAULT_ACCOUNT_ID]["global"].get_bucket(bucket)

    class DeletedWhileListed(type(stored.keys)):  # type: ignore[misc]
        def __getitem__(self, name: str) -> object:
            if name == "t/a.parquet":
                dict.pop(self, "t/b.parquet", None)  # as a DeleteObject beside the listing
            return super().__getitem__(name)

    racing = DeletedWhileListed()
    for name, versions in stored.keys.iterlists():
        racing.setlist(name, versions)
    monkeypatch.setattr(stored, "keys", racing)
    listed = SandboxCatalog(sandbox_environment.endpoint).objects(f"s3://{bucket}/t/")

    assert [key for key, _size, _etag in listed] == ["t/a.parquet"]
