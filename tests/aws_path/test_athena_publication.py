"""Write-audit-publish on Athena: gold.<table> switched to a new versioned location in Glue (moto)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.athena_publication import (
    PublicationError,
    prune_gold_versions,
    publish_gold_athena,
    rollback_gold_athena,
)
from tests.aws_path.conftest import keys_of

COLUMNS = [
    {"Name": "idade", "Type": "int"},
    {"Name": "salario_medio", "Type": "decimal(12,2)"},
]
PARTITION_KEYS = [{"Name": "ano", "Type": "int"}, {"Name": "mes", "Type": "int"}]
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


class Catalog:
    """A gold_build table as dbt-athena leaves it: CTAS files under its location, one partition per ano/mes."""

    def __init__(self, glue: Any, s3: Any, bucket: str) -> None:
        self.glue, self.s3, self.bucket = glue, s3, bucket
        suffix = bucket.replace("-", "_")
        self.build_db, self.gold_db = f"gold_build_{suffix}", f"gold_{suffix}"
        glue.create_database(DatabaseInput={"Name": self.build_db})

    def build(self, rows: dict[tuple[int, int], list[int]]) -> None:
        """Rebuilds gold_build.salary_averages: dbt-athena deletes the location's data before each CTAS."""
        prefix = "gold_build/salary_averages/"
        for key in keys_of(self.s3, self.bucket, prefix):
            self.s3.delete_object(Bucket=self.bucket, Key=key)
        with contextlib.suppress(self.glue.exceptions.EntityNotFoundException):
            self.glue.delete_table(DatabaseName=self.build_db, Name="salary_averages")
        self.glue.create_table(
            DatabaseName=self.build_db,
            TableInput={
                "Name": "salary_averages",
                "TableType": "EXTERNAL_TABLE",
                "PartitionKeys": PARTITION_KEYS,
                "StorageDescriptor": {**PARQUET, "Columns": COLUMNS, "Location": f"s3://{self.bucket}/{prefix}"},
            },
        )
        for (ano, mes), ages in rows.items():
            folder = f"{prefix}ano={ano}/mes={mes}/"
            sink = io.BytesIO()
            pq.write_table(pa.table({"idade": pa.array(ages, pa.int32())}), sink)
            self.s3.put_object(Bucket=self.bucket, Key=f"{folder}{uuid.uuid4().hex}", Body=sink.getvalue())
            self.glue.create_partition(
                DatabaseName=self.build_db,
                TableName="salary_averages",
                PartitionInput={
                    "Values": [str(ano), str(mes)],
                    "StorageDescriptor": {**PARQUET, "Columns": COLUMNS, "Location": f"s3://{self.bucket}/{folder}"},
                },
            )

    def publish(self, at: dt.datetime | None = None) -> Any:
        moment = at or dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
        return publish_gold_athena(
            self.glue, self.s3, self.bucket, ["salary_averages"],
            build_database=self.build_db, published_database=self.gold_db, clock=lambda: moment,
        )[0]  # fmt: skip

    def published(self) -> dict[tuple[str, ...], list[int]]:
        """What a reader of gold.salary_averages gets: each partition's rows, read at its Glue location."""
        table = self.glue.get_table(DatabaseName=self.gold_db, Name="salary_averages")["Table"]
        assert table["StorageDescriptor"]["Location"].startswith(f"s3://{self.bucket}/{self.gold_db}/salary_averages/")
        found = {}
        for partition in self.glue.get_partitions(DatabaseName=self.gold_db, TableName="salary_averages")["Partitions"]:
            location = partition["StorageDescriptor"]["Location"].removeprefix(f"s3://{self.bucket}/")
            assert location.startswith(table["StorageDescriptor"]["Location"].removeprefix(f"s3://{self.bucket}/"))
            ages = []
            for key in keys_of(self.s3, self.bucket, location):
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                ages += pq.read_table(io.BytesIO(body)).column("idade").to_pylist()
            found[tuple(partition["Values"])] = sorted(ages)
        return found


@pytest.fixture
def catalog(glue: Any, s3: Any, bucket: str) -> Catalog:
    return Catalog(glue, s3, bucket)


def test_publish_switches_the_table_to_a_new_version_and_keeps_the_previous(catalog: Catalog) -> None:
    catalog.build({(2025, 2): [30, 40], (2025, 3): [50]})
    first = catalog.publish()
    assert first.previous_version is None and first.partitions == 2
    assert catalog.published() == {("2025", "2"): [30, 40], ("2025", "3"): [50]}

    # Republishing the same build: same version, nothing copied again.
    objects = keys_of(catalog.s3, catalog.bucket, f"{catalog.gold_db}/")
    again = catalog.publish()
    assert again.version == first.version
    assert keys_of(catalog.s3, catalog.bucket, f"{catalog.gold_db}/") == objects

    # The next day's build: dbt-athena wiped gold_build's location; gold is untouched until the switch.
    catalog.build({(2025, 3): [51], (2025, 4): [60]})
    assert catalog.published() == {("2025", "2"): [30, 40], ("2025", "3"): [50]}
    second = catalog.publish(dt.datetime(2025, 3, 11, 12, tzinfo=dt.UTC))
    assert second.version != first.version and second.previous_version == first.version
    assert catalog.published() == {("2025", "3"): [51], ("2025", "4"): [60]}
    # The previous version's files stay where readers that started before the switch find them.
    assert any(key.startswith(f"{catalog.gold_db}/salary_averages/{first.version}/") for key in objects)
    assert set(objects) <= set(keys_of(catalog.s3, catalog.bucket, f"{catalog.gold_db}/"))

    rolled = rollback_gold_athena(
        catalog.glue, catalog.s3, catalog.bucket, "salary_averages", published_database=catalog.gold_db
    )
    assert rolled.version == first.version
    assert catalog.published() == {("2025", "2"): [30, 40], ("2025", "3"): [50]}


def test_a_failed_audit_never_reaches_gold(catalog: Catalog) -> None:
    """The run publishes only after the whole dbt build (tests included) succeeded; a build that failed
    its tests leaves gold_build rewritten and gold exactly as it was."""
    catalog.build({(2025, 2): [30]})
    catalog.publish()
    before = catalog.glue.get_table(DatabaseName=catalog.gold_db, Name="salary_averages")["Table"]
    catalog.build({(2025, 2): [-1]})  # the build a failing test rejects: publish is not called
    after = catalog.glue.get_table(DatabaseName=catalog.gold_db, Name="salary_averages")["Table"]
    assert after["StorageDescriptor"]["Location"] == before["StorageDescriptor"]["Location"]
    assert catalog.published() == {("2025", "2"): [30]}


def test_a_location_owned_by_another_table_is_refused_and_gold_left_unchanged(catalog: Catalog) -> None:
    catalog.build({(2025, 2): [30]})
    catalog.publish()
    catalog.glue.create_table(
        DatabaseName=catalog.build_db,
        TableInput={
            "Name": "squatter",
            "StorageDescriptor": {**PARQUET, "Columns": COLUMNS, "Location": f"s3://{catalog.bucket}/{catalog.gold_db}/"},
        },
    )
    catalog.build({(2025, 2): [31]})
    with pytest.raises(PublicationError, match="squatter"):
        catalog.publish()
    assert catalog.published() == {("2025", "2"): [30]}


def test_nothing_built_is_an_error_not_an_empty_table(catalog: Catalog) -> None:
    with pytest.raises(PublicationError, match="does not exist"):
        catalog.publish()


def test_prune_keeps_current_previous_and_recently_retired_versions(catalog: Catalog) -> None:
    day = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
    versions = []
    for offset, age in enumerate([30, 31, 32, 33]):
        catalog.build({(2025, 2): [age]})
        versions.append(catalog.publish(day + dt.timedelta(hours=offset)).version)

    def prune(now: dt.datetime) -> list[str]:
        return prune_gold_versions(
            catalog.glue, catalog.s3, catalog.bucket, "salary_averages",
            published_database=catalog.gold_db, clock=lambda: now,
        )  # fmt: skip

    assert prune(day + dt.timedelta(hours=5)) == []  # every retired version may still be read
    assert sorted(prune(day + dt.timedelta(days=2))) == sorted(versions[:2])
    remaining = {key.split("/")[2] for key in keys_of(catalog.s3, catalog.bucket, f"{catalog.gold_db}/")}
    assert remaining == set(versions[2:])
    assert catalog.published() == {("2025", "2"): [33]}


def test_a_partition_value_with_a_slash_is_one_escaped_folder(glue: Any, s3: Any, bucket: str) -> None:
    """client_health's convenio defaults to "N/A": Hive (Athena) names its folder convenio=N%2FA; the
    published partition keeps the value, and a rollback reads it back from the folder name."""
    build_db, gold_db = f"gold_build_{bucket.replace('-', '_')}", f"gold_{bucket.replace('-', '_')}"
    glue.create_database(DatabaseInput={"Name": build_db})
    columns = [{"Name": "id", "Type": "string"}]

    def build(values: list[str]) -> None:
        with contextlib.suppress(glue.exceptions.EntityNotFoundException):
            glue.delete_table(DatabaseName=build_db, Name="client_health")
        location = f"s3://{bucket}/gold_build/client_health/{uuid.uuid4().hex}/"
        glue.create_table(
            DatabaseName=build_db,
            TableInput={
                "Name": "client_health", "TableType": "EXTERNAL_TABLE",
                "PartitionKeys": [{"Name": "convenio", "Type": "string"}],
                "StorageDescriptor": {**PARQUET, "Columns": columns, "Location": location},
            },
        )  # fmt: skip
        for value in values:
            folder = f"{location}{uuid.uuid4().hex}/"  # where the build wrote it does not matter
            sink = io.BytesIO()
            pq.write_table(pa.table({"id": [value]}), sink)
            s3.put_object(Bucket=bucket, Key=f"{folder.removeprefix(f's3://{bucket}/')}part-0", Body=sink.getvalue())
            glue.create_partition(
                DatabaseName=build_db, TableName="client_health",
                PartitionInput={"Values": [value], "StorageDescriptor": {**PARQUET, "Columns": columns, "Location": folder}},
            )  # fmt: skip

    def publish(day: int) -> Any:
        moment = dt.datetime(2025, 3, day, 12, tzinfo=dt.UTC)
        return publish_gold_athena(
            glue, s3, bucket, ["client_health"], build_database=build_db, published_database=gold_db, clock=lambda: moment
        )[0]

    def published() -> dict[str, str]:
        partitions = glue.get_partitions(DatabaseName=gold_db, TableName="client_health")["Partitions"]
        return {partition["Values"][0]: partition["StorageDescriptor"]["Location"] for partition in partitions}

    build(["N/A", "SUS"])
    first = publish(10)
    assert first.partitions == 2 and first.rows == 2
    assert published() == {"N/A": f"{first.location}convenio=N%2FA/", "SUS": f"{first.location}convenio=SUS/"}
    build(["SUS"])
    publish(11)
    assert set(published()) == {"SUS"}
    rolled_back = rollback_gold_athena(glue, s3, bucket, "client_health", published_database=gold_db)
    assert rolled_back.version == first.version
    assert published() == {"N/A": f"{first.location}convenio=N%2FA/", "SUS": f"{first.location}convenio=SUS/"}
