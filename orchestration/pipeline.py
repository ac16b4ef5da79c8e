"""``lakehouse run``: one day end to end — ingestion, dbt build (tests gate publication), publication."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from core import registry
from core.backend import Backend
from core.errors import describe_error
from core.settings import Settings
from core.table_readers import TableReader
from ingestion.client_health.quality import client_health_quality
from ingestion.manifest import read_manifests
from jobs.dbt import built_gold_models, run_dbt_on
from jobs.publication import PUBLISHERS
from orchestration.dispatcher import dispatch_object_created
from orchestration.report import source_summary, write_report
from serving.dashboard import write_dashboard

Step = Callable[[str], None]


def _ingest_source(backend: Backend, source_name: str, keys: list[str], step: Step) -> list[str]:
    errors: list[str] = []
    for index, key in enumerate(keys, start=1):
        step(f"{source_name}: {index}/{len(keys)} {key.rsplit('/', 1)[-1]}")
        try:
            dispatch_object_created(backend, key)
        except Exception as exc:  # one bad file never stops the others; the report names it
            errors.append(f"{key}: {describe_error(exc)}")
    return errors


def publish_downstream(
    settings: Settings, source: TableReader, step: Step, timings: dict[str, float]
) -> dict[str, Any]:
    """Gold-fed publications, each only when configured; one failing never hides the others.

    ``source`` reads what dbt built: the catalog file locally, Parquet on S3 through Glue on AWS."""
    results: dict[str, Any] = {}
    for name, publish in PUBLISHERS.items():
        step(f"publishing to {name}")
        began = time.monotonic()
        try:
            results[name] = publish(settings, source)
        except Exception as exc:  # publisher messages are built to carry no secret
            results[name] = {"status": "failed", "error": describe_error(exc)}
        timings[f"publish_{name}"] = round(time.monotonic() - began, 3)
    return results


def run_day(backend: Backend, day: str, step: Step = lambda _message: None) -> dict[str, Any]:
    """Processes what is in the landing zone for ``day``; returns (and writes) the run report."""
    started = time.monotonic()
    settings, layout, store = backend.settings, backend.layout, backend.store
    layout.ensure_layers("landing", "bronze", "silver", "gold", "quarantine", "reports")

    sources: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for source in registry.SOURCES:
        began = time.monotonic()
        errors: list[str] = []
        if source.extract is not None:
            step(f"{source.name}: extracting")
            try:
                registry.resolve(source.extract)(backend, day)
            except Exception as exc:  # the source is down: reported, the other sources go on
                errors.append(f"{type(exc).__name__}: {exc}")
        errors += _ingest_source(backend, source.name, source.landing_keys(store, day), step)
        sources[source.name] = source_summary(read_manifests(store, source.name, day), errors)
        timings[f"ingest_{source.name}"] = round(time.monotonic() - began, 3)

    step("dbt build")
    began = time.monotonic()
    backend.catalog.register_bronze(registry.all_bronze_tables(settings.lake.resolve()))
    dbt = run_dbt_on(backend, ["build"], day=day)
    timings["dbt_build"] = round(time.monotonic() - began, 3)

    published: list[dict[str, Any]] = []
    publications: dict[str, Any] = {}
    if dbt.success:
        step("publishing gold")
        began = time.monotonic()
        published = backend.catalog.publish_gold(built_gold_models(settings))
        timings["publish_gold"] = round(time.monotonic() - began, 3)
        publications = publish_downstream(settings, backend.catalog.table_reader(), step, timings)

    failed = (
        not dbt.success
        or any(summary["status"] == "failed" for summary in sources.values())
        or any(result.get("status") == "failed" for result in publications.values())
    )
    report: dict[str, Any] = {
        "day": day,
        "lake": layout.uri,
        "status": "failed" if failed else "succeeded",
        "finished_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
        "sources": sources,
        "dbt": dbt.as_report(),
        "gold": published
        if dbt.success
        else "not published: dbt build failed (previous gold left unchanged)",
        "publications": publications,
        "timings_seconds": {**timings, "total": round(time.monotonic() - started, 3)},
    }
    if dbt.success:
        quality = client_health_quality(layout, day)
        if quality:
            sources["client_health"]["quality"] = quality
    step("dashboard")
    try:
        report["dashboard"] = str(write_dashboard(layout.root, day, report))
    except Exception as exc:  # the dashboard never hides the run's own outcome
        report["dashboard"] = f"not written: {type(exc).__name__}: {exc}"
    write_report(store, day, report)
    return report
