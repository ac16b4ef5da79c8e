from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support.mariadb import mariadb_server, mariadb_url

__all__ = ["mariadb_server", "mariadb_url"]


@pytest.fixture
def bucket(aws_environment: str) -> Iterator[str]:
    """A fresh bucket on the session's moto server (other tests share the server, not the bucket)."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    yield name


@pytest.fixture
def s3(aws_environment: str) -> Any:
    return boto3.client("s3")


@pytest.fixture
def glue(aws_environment: str) -> Any:
    return boto3.client("glue")


def keys_of(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def put_parquet(s3: Any, bucket: str, key: str, table: Any) -> None:
    import io

    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table, sink)
    s3.put_object(Bucket=bucket, Key=key, Body=sink.getvalue())


def replace_glue_table(glue: Any, database: str, table_input: dict[str, Any]) -> None:
    """Databases are shared by the session's tests; each test replaces the tables it declares."""
    with contextlib.suppress(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": database})
    with contextlib.suppress(glue.exceptions.EntityNotFoundException):
        glue.delete_table(DatabaseName=database, Name=table_input["Name"])
    glue.create_table(DatabaseName=database, TableInput=table_input)
