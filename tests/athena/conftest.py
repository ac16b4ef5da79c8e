"""The project compiled for the `aws` target (dbt-athena) against Glue on a moto server, once for both
modules that read the compiled SQL."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from core.settings import Settings
from jobs.dbt import run_dbt


@pytest.fixture(scope="session")
def compiled(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Path:
    patch = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LAKEHOUSE_BUCKET": "athena-compile-lake",
    }.items():
        patch.setenv(name, value)
    glue = boto3.client("glue")
    boto3.client("s3").create_bucket(Bucket="athena-compile-lake")
    existing = {database["Name"] for database in glue.get_databases()["DatabaseList"]}
    for database in ("bronze", "silver", "gold_build", "gold"):
        if database not in existing:
            glue.create_database(DatabaseInput={"Name": database})
    lake = tmp_path_factory.mktemp("athena")
    summary = run_dbt(["compile"], Settings(lake=lake), target="aws")
    patch.undo()
    assert summary.success, summary.failures
    return lake / ".dbt" / "target" / "compiled" / "lakehouse"
