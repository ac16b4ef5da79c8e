"""Builds a handler's dependencies from Settings: S3 and Glue on AWS, the lake folder and local Spark otherwise."""

from __future__ import annotations

from ingestion.jobs import GlueJobLauncher, JobLauncher, StateMachineLauncher
from ingestion.settings import Backend, Settings
from ingestion.storage import LocalObjectStore, ObjectStore, S3ObjectStore


def settings() -> Settings:
    """Read at every invocation, as a Lambda reads its environment; locally the dispatcher sets it."""
    return Settings()


def object_store(config: Settings, bucket: str | None = None) -> ObjectStore:
    if config.backend is Backend.AWS:
        import boto3

        name = bucket or config.bucket
        if not name:
            raise ValueError("LAKEHOUSE_BUCKET is not set and the event names no bucket")
        return S3ObjectStore(name, boto3.client("s3", region_name=config.region))
    return LocalObjectStore(config.lake)


def lake_uri(config: Settings, bucket: str | None = None) -> str:
    if config.backend is Backend.AWS:
        return f"s3://{bucket or config.bucket}"
    return str(config.lake.resolve())


def job_launcher(config: Settings) -> JobLauncher:
    if config.backend is Backend.AWS:
        import boto3

        glue = GlueJobLauncher(boto3.client("glue", region_name=config.region))
        if not config.state_machines:
            return glue
        client = boto3.client("stepfunctions", region_name=config.region)
        return StateMachineLauncher(client, config.state_machines, glue)
    from orchestration.local_glue import local_job_launcher

    return local_job_launcher()
