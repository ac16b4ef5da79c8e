"""Bronze in the Glue Data Catalog, registered by the jobs that write it.

On AWS nothing crawls the lake: a job that wrote bronze, quarantined rows or a manifest registers the
tables it owns (``core.catalog.register_bronze_tables_in_glue``: created or widened, every partition
present added) before it ends, so Athena and dbt-athena see the day as soon as the job is done. Locally
the DuckDB views glob the folders and there is nothing to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.catalog import BronzeTable, register_bronze_tables_in_glue
from core.storage import ObjectStore, S3ObjectStore
from ingestion.ingestion_tables import MANIFESTS_TABLE


def register_written_bronze(store: ObjectStore, tables: Sequence[BronzeTable]) -> dict[str, int]:
    """On an S3 lake, registers ``tables`` and the manifests table in Glue; on a local lake, nothing."""
    if not isinstance(store, S3ObjectStore):
        return {}
    import boto3

    glue = boto3.client("glue", region_name=store.client.meta.region_name)
    return register_bronze_tables_in_glue(store.bucket, store.client, glue, [*tables, MANIFESTS_TABLE])
