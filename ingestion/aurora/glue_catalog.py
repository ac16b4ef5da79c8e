"""On AWS: the extracted tables in the Glue Data Catalog (database ``bronze``), so Athena and dbt-athena see
each new extraction date as a partition and each new source column as a table column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingestion.aurora import landing
from ingestion.aurora.bronze import bronze_table_name
from ingestion.glue_registration import athena_type
from ingestion.manifest import FileManifest
from ingestion.storage import S3ObjectStore


def table_of(manifest: FileManifest) -> str:
    """``bronze/aurora/<table>/extraction_date=<D>/data.parquet`` -> ``<table>``."""
    return manifest.outputs[0].split("/")[2]


def register_extractions(
    store: S3ObjectStore, manifests: Sequence[FileManifest], database: str, boto3_session: Any | None = None
) -> list[str]:
    """Creates or widens each landed table and adds its extraction-date partition; returns the tables registered."""
    import awswrangler as wr

    registered = []
    for manifest in manifests:
        if manifest.status != "landed":
            continue
        table = table_of(manifest)
        state = landing.read_schema_state(store, table)
        if state is None:
            raise FileNotFoundError(f"{landing.schema_key(table)} is missing for a landed table")
        name = bronze_table_name(table)
        wr.catalog.create_parquet_table(
            database=database,
            table=name,
            path=store.uri(landing.table_prefix(table)) + "/",
            columns_types={item.name: athena_type(item.type) for item in state.schema},
            partitions_types={landing.PARTITION: "string"},
            compression="snappy",
            # Keeps the partitions of earlier days and adds columns that appeared at the source.
            mode="append",
            boto3_session=boto3_session,
        )
        folder = store.uri(manifest.outputs[0].rsplit("/", 1)[0]) + "/"
        wr.catalog.add_parquet_partitions(
            database=database,
            table=name,
            partitions_values={folder: [manifest.day]},
            compression="snappy",
            boto3_session=boto3_session,
        )
        registered.append(name)
    return registered
