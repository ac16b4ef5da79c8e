"""A view created through the sandbox's Athena is stored in Glue as Athena stores it: a VIRTUAL_VIEW whose
storage descriptor has an empty location. dbt-athena relies on it: after `versions_to_keep` rebuilds of a
view model it expires the old Glue versions and reads each version's location."""

from __future__ import annotations

import uuid

import boto3

from sandbox import Sandbox
from tests.sandbox.athena_client import ok


def test_every_version_of_a_view_has_an_empty_location(sandbox_environment: Sandbox) -> None:
    bucket, database = f"views-{uuid.uuid4().hex[:8]}", f"db_{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    ok(f"create database {database}", bucket)
    for value in (1, 2):
        ok(f"create or replace view {database}.numbers as select {value} as n", bucket)

    glue = boto3.client("glue")
    versions = glue.get_table_versions(DatabaseName=database, TableName="numbers")["TableVersions"]
    assert len(versions) == 2
    for version in versions:
        assert version["Table"]["TableType"] == "VIRTUAL_VIEW"
        assert version["Table"]["StorageDescriptor"]["Location"] == ""
    assert ok(f"select n from {database}.numbers", bucket).rows == [("2",)]
