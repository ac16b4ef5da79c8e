from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest


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
