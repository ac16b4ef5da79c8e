"""The one place that knows which backend it is on.

``build_backend(settings)`` builds the edges of the pipeline for ``local`` (a folder, DuckDB, jobs in
process) or ``aws`` (S3, Glue, Athena): the object store, the day gate, the job launcher, the catalog and
the query engine. Everything else takes a ``Backend`` and calls methods on those objects.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from core.catalog import Catalog, DuckDbCatalog, GlueCatalog
from core.gate import DayGate, LocalDayGate, S3DayGate
from core.launchers import GlueJobLauncher, JobLauncher, StateMachineLauncher, local_glue_launcher
from core.layout import LakeLayout
from core.query import AthenaQueryEngine, DuckDbQueryEngine, QueryEngine
from core.run_lock import lake_writer_lock, no_writer_lock
from core.settings import Backend as BackendName
from core.settings import Settings
from core.storage import LocalObjectStore, ObjectStore, S3ObjectStore


@dataclass(frozen=True)
class Backend:
    settings: Settings
    layout: LakeLayout
    store: ObjectStore
    gate: DayGate
    launcher: JobLauncher
    catalog: Catalog
    query_engine: QueryEngine
    # The lock a writing command (run, demo, serve's daily run) holds, named after it; raises LakeBusyError
    # at once when another writer has the lake.
    writer_lock: Callable[[str], AbstractContextManager[None]] = no_writer_lock
    # The dbt target that builds silver and gold on this backend, and what its profile reads from the env.
    dbt_target: str = "local"
    dbt_environment: dict[str, str] = field(default_factory=dict)

    def for_bucket(self, bucket: str | None) -> Backend:
        """The backend of the lake an S3 event names (the local lake has one bucket name and ignores it)."""
        if self.settings.backend is BackendName.AWS and bucket and bucket != self.settings.bucket:
            return build_backend(self.settings.for_bucket(bucket))
        return self


def _boto3_client(service: str, settings: Settings) -> Any:
    import boto3  # only the AWS backend needs it

    make_client: Any = boto3.client  # typed per literal service name; ours is a variable
    return make_client(service, region_name=settings.region)


def _aws_launcher(settings: Settings) -> JobLauncher:
    """Glue; jobs that stand for a day workflow (``settings.state_machines``) start its state machine."""
    glue = GlueJobLauncher(_boto3_client("glue", settings))
    if not settings.state_machines:
        return glue
    return StateMachineLauncher(_boto3_client("stepfunctions", settings), settings.state_machines, glue)


def build_backend(settings: Settings) -> Backend:
    if settings.backend is BackendName.AWS:
        if not settings.bucket:
            raise ValueError("LAKEHOUSE_BUCKET is not set and the event names no bucket")
        layout = LakeLayout.bucket(settings.bucket)
        s3 = _boto3_client("s3", settings)
        store = S3ObjectStore(settings.bucket, s3)
        return Backend(
            settings=settings,
            layout=layout,
            store=store,
            gate=S3DayGate(settings.bucket, s3),
            launcher=_aws_launcher(settings),
            catalog=GlueCatalog(_boto3_client("glue", settings), store),
            query_engine=AthenaQueryEngine(_boto3_client("athena", settings), layout),
            dbt_target="aws",
            dbt_environment={"LAKEHOUSE_BUCKET": settings.bucket, "LAKEHOUSE_REGION": settings.region},
        )
    layout = LakeLayout.local(settings.lake)
    return Backend(
        settings=settings,
        layout=layout,
        store=LocalObjectStore(layout.root),
        gate=LocalDayGate(layout.root),
        launcher=local_glue_launcher(settings, layout),
        catalog=DuckDbCatalog(layout.catalog_path, layout.root),
        query_engine=DuckDbQueryEngine(layout.catalog_path),
        writer_lock=partial(lake_writer_lock, layout.root),
    )


def backend_for_lake_uri(settings: Settings, lake_uri: str | None) -> Backend:
    """The backend of a job argument ``--lake_uri``: ``s3://bucket`` (AWS) or a folder (local); None keeps
    the settings' lake."""
    if not lake_uri:
        return build_backend(settings)
    if lake_uri.startswith("s3://"):
        bucket = lake_uri.removeprefix("s3://").strip("/")
        return build_backend(settings.model_copy(update={"backend": BackendName.AWS, "bucket": bucket}))
    return build_backend(settings.model_copy(update={"backend": BackendName.LOCAL, "lake": Path(lake_uri)}))


def with_launcher(backend: Backend, launcher: JobLauncher) -> Backend:
    """The same backend starting jobs with ``launcher`` (tests record the runs instead of running them)."""
    return replace(backend, launcher=launcher)
