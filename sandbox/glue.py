"""The sandbox's Glue Data Catalog and S3, as the Athena executor uses them: through the AWS APIs of the
sandbox itself, exactly as dbt-athena and awswrangler see them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import boto3

PARQUET_STORAGE = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
PRESTO_VIEW_PREFIX = "/* Presto View: "
ACCOUNT_ID = "123456789012"  # moto's account for any fake credentials
REGION = "us-east-1"


def split_location(location: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> (``bucket``, ``a/b/``): a folder prefix."""
    bucket, _, key = location.removeprefix("s3://").removeprefix("s3a://").partition("/")
    return bucket, (key.rstrip("/") + "/") if key.strip("/") else ""


def is_data_file(key: str, size: int) -> bool:
    """What Hive (and Athena) read under a location: not empty markers, not names starting _ or ."""
    name = key.rsplit("/", 1)[-1]
    return bool(name) and size > 0 and not name.startswith(("_", ".")) and not key.endswith("$folder$")


def presto_view_text(sql: str, database: str, columns: list[tuple[str, str]]) -> str:
    """How Athena stores a view in Glue: the original SQL and columns, base64 JSON in a comment."""
    document = {
        "originalSql": sql,
        "catalog": "awsdatacatalog",
        "schema": database,
        "columns": [{"name": name, "type": athena_type} for name, athena_type in columns],
    }
    return PRESTO_VIEW_PREFIX + base64.b64encode(json.dumps(document).encode()).decode() + " */"


def presto_view_sql(text: str) -> str:
    encoded = text.strip().removeprefix(PRESTO_VIEW_PREFIX).removesuffix("*/").strip()
    return str(json.loads(base64.b64decode(encoded))["originalSql"])


@dataclass(frozen=True)
class GlueColumn:
    name: str
    glue_type: str


class SandboxCatalog:
    """Writes go through the sandbox's AWS APIs (validated as for any client); the reads each statement
    makes (table, partitions, object listing) go straight to moto's in-process backends, which hold the
    same state, because through HTTP they cost more than the statement itself."""

    def __init__(self, endpoint: str) -> None:
        options: dict[str, Any] = {
            "endpoint_url": endpoint,
            "aws_access_key_id": "sandbox",
            "aws_secret_access_key": "sandbox",
            "region_name": "us-east-1",
        }
        self.glue: Any = boto3.client("glue", **options)
        self.s3: Any = boto3.client("s3", **options)

    # databases
    def databases(self) -> list[str]:
        pages = self.glue.get_paginator("get_databases").paginate()
        return [database["Name"] for page in pages for database in page["DatabaseList"]]

    def has_database(self, name: str) -> bool:
        try:
            self.glue.get_database(Name=name)
        except self.glue.exceptions.EntityNotFoundException:
            return False
        return True

    def create_database(self, name: str) -> None:
        self.glue.create_database(DatabaseInput={"Name": name})

    def drop_database(self, name: str) -> None:
        self.glue.delete_database(Name=name)

    # tables
    def table(self, database: str, name: str) -> dict[str, Any] | None:
        from moto.glue.exceptions import DatabaseNotFoundException, TableNotFoundException
        from moto.glue.models import glue_backends

        try:
            found = glue_backends[ACCOUNT_ID][REGION].get_table(database, name)
        except (DatabaseNotFoundException, TableNotFoundException):
            return None
        return dict(found.as_dict())

    def tables(self, database: str) -> list[dict[str, Any]]:
        pages = self.glue.get_paginator("get_tables").paginate(DatabaseName=database)
        return [table for page in pages for table in page["TableList"]]

    def create_table(self, database: str, table_input: dict[str, Any]) -> None:
        self.glue.create_table(DatabaseName=database, TableInput=table_input)

    def update_table(self, database: str, table_input: dict[str, Any]) -> None:
        self.glue.update_table(DatabaseName=database, TableInput=table_input)

    def delete_table(self, database: str, name: str) -> None:
        self.glue.delete_table(DatabaseName=database, Name=name)

    # partitions
    def partitions(self, database: str, name: str) -> list[dict[str, Any]]:
        from moto.glue.models import glue_backends

        found = glue_backends[ACCOUNT_ID][REGION].get_partitions(database, name, "")
        return [dict(partition.as_dict()) for partition in found]

    def add_partitions(
        self, database: str, table: dict[str, Any], partitions: list[tuple[list[str], str]]
    ) -> None:
        """Registers (values, location) partitions not registered yet; Athena's ADD IF NOT EXISTS."""
        existing = {tuple(partition["Values"]) for partition in self.partitions(database, table["Name"])}
        storage = table.get("StorageDescriptor", {})
        inputs = []
        for values, location in partitions:
            if tuple(values) in existing:
                continue
            existing.add(tuple(values))
            inputs.append(
                {
                    "Values": values,
                    "StorageDescriptor": {
                        **{
                            key: storage[key]
                            for key in ("InputFormat", "OutputFormat", "SerdeInfo")
                            if key in storage
                        },
                        "Columns": storage.get("Columns", []),
                        "Location": location,
                    },
                    # Glue returns Parameters on every partition; dbt-athena's table swap (ha) copies them.
                    "Parameters": {},
                }
            )
        for start in range(0, len(inputs), 100):
            self.glue.batch_create_partition(
                DatabaseName=database, TableName=table["Name"], PartitionInputList=inputs[start : start + 100]
            )

    def drop_partitions(self, database: str, name: str, values: list[list[str]]) -> None:
        for start in range(0, len(values), 25):
            self.glue.batch_delete_partition(
                DatabaseName=database,
                TableName=name,
                PartitionsToDelete=[{"Values": item} for item in values[start : start + 25]],
            )

    def update_partition_location(self, database: str, name: str, values: list[str], location: str) -> None:
        partition = self.glue.get_partition(DatabaseName=database, TableName=name, PartitionValues=values)[
            "Partition"
        ]
        storage = {**partition["StorageDescriptor"], "Location": location}
        self.glue.update_partition(
            DatabaseName=database,
            TableName=name,
            PartitionValueList=values,
            PartitionInput={"Values": values, "StorageDescriptor": storage},
        )

    # objects
    def objects(self, location: str) -> list[tuple[str, int, str]]:
        """(key, size, etag) of every object under a location."""
        from moto.s3.models import FakeDeleteMarker, s3_backends

        bucket_name, prefix = split_location(location)
        backend = s3_backends[ACCOUNT_ID]["global"]
        bucket = backend.get_bucket(bucket_name)
        # moto's own listing reads each key after copying the names, and raises KeyError when a request
        # running beside it (dbt's threads) deleted one in between: a deleted object is simply not listed.
        found = (bucket.keys.get(name) for name in list(bucket.keys) if name.startswith(prefix))
        live = [key for key in found if key is not None and not isinstance(key, FakeDeleteMarker)]
        return sorted((key.name, int(key.size), str(key.etag)) for key in live)

    def data_files(self, location: str) -> list[str]:
        """Every data file under a location, recursively (Athena reads subfolders of a table location)."""
        bucket, _prefix = split_location(location)
        return [
            f"s3://{bucket}/{key}" for key, size, _etag in self.objects(location) if is_data_file(key, size)
        ]

    def folders(self, location: str) -> list[str]:
        """Keys of every object under a location, relative to it (for MSCK REPAIR)."""
        _bucket, prefix = split_location(location)
        return [key[len(prefix) :] for key, _size, _etag in self.objects(location)]


def table_input_of(table: dict[str, Any]) -> dict[str, Any]:
    """The TableInput that recreates a table GetTable returned (for update, rename)."""
    allowed = (
        "Name",
        "Description",
        "Owner",
        "Retention",
        "StorageDescriptor",
        "PartitionKeys",
        "ViewOriginalText",
        "ViewExpandedText",
        "TableType",
        "Parameters",
    )
    return {key: table[key] for key in allowed if key in table}
