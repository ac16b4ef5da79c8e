"""``lakehouse run``: one day end to end — ingestion, dbt build (tests gate publication), publication."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core import registry
from core.backend import Backend
from core.errors import describe_error
from core.layout import run_record_key
from core.settings import Settings
from core.table_readers import TableReader
from ingestion.client_health.quality import day_quality
from ingestion.manifest import FileManifest, read_manifests
from jobs.dbt import DbtSummary, built_gold_models, run_dbt_on
from jobs.publication import PUBLISHERS
from orchestration.dispatcher import dispatch_object_created
from orchestration.report import (
    GateCheck,
    crashed,
    new_run_id,
    sao_paulo_now,
    sao_paulo_time,
    source_summary,
    write_report,
)
from orchestration.run_gates import RUN_TIME_GATES
from serving.dashboard import publish_dashboard, read_gold_from

Step = Callable[[str], None]


def _ingest_source(backend: Backend, source_name: str, keys: list[str], step: Step) -> dict[str, str]:
    """Hands each delivered file to its handler; returns the files whose handler or job crashed, with why."""
    failures: dict[str, str] = {}
    for index, key in enumerate(keys, start=1):
        step(f"{source_name}: {index}/{len(keys)} {key.rsplit('/', 1)[-1]}")
        try:
            dispatch_object_created(backend, key)
        except Exception as exc:  # one bad file never stops the others; the report names it
            failures[key] = describe_error(exc)
    return failures


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


def _ingest(backend: Backend, day: str, step: Step, timings: dict[str, float]) -> dict[str, Any]:
    sources: dict[str, Any] = {}
    for source in registry.SOURCES:
        began = time.monotonic()
        errors: list[str] = []
        extracted: list[FileManifest] | None = None
        if source.extract is not None:
            step(f"{source.name}: extracting")
            try:
                result = registry.resolve(source.extract)(backend, day)
                extracted = list(result) if isinstance(result, list) else []
            except Exception as exc:  # the source is down: reported, the other sources go on
                errors.append(describe_error(exc))
        keys = source.landing_keys(backend.store, day)
        failures = _ingest_source(backend, source.name, keys, step)
        gate: GateCheck | None = None
        if source.name in RUN_TIME_GATES:
            step(f"{source.name}: day gate")
            try:
                gate = RUN_TIME_GATES[source.name](backend, day, keys)
            except Exception as exc:  # the job on the day's good files crashed
                errors.append(describe_error(exc))
        # A pulled source reports what this run extracted: an ad-hoc extraction never changes a run.
        manifests = read_manifests(backend.store, source.name, day) if extracted is None else extracted
        sources[source.name] = source_summary(manifests, errors, keys, failures, gate)
        timings[f"ingest_{source.name}"] = round(time.monotonic() - began, 3)
    return sources


def _build_and_publish(
    backend: Backend, day: str, crashed_sources: list[str], step: Step, timings: dict[str, float]
) -> tuple[DbtSummary, list[dict[str, Any]] | str, dict[str, Any]]:
    """dbt build, then gold and downstream publication when its tests pass; nothing at all after a crash."""
    settings = backend.settings
    if crashed_sources:
        # Silver and gold would be rebuilt from a partial day: nothing downstream of the crash is touched.
        failure = f"ingestion crashed ({', '.join(crashed_sources)})"
        skipped = DbtSummary(success=False, failures=[f"dbt build not run: {failure}"])
        return skipped, f"not published: {failure}; previous gold left unchanged", {}
    step("dbt build")
    began = time.monotonic()
    backend.catalog.register_bronze(registry.all_bronze_tables(settings.lake.resolve()))
    dbt = run_dbt_on(backend, ["build"], day=day)
    timings["dbt_build"] = round(time.monotonic() - began, 3)
    if not dbt.success:
        return dbt, "not published: dbt build failed (previous gold left unchanged)", {}
    step("publishing gold")
    began = time.monotonic()
    gold = backend.catalog.publish_gold(built_gold_models(settings))
    timings["publish_gold"] = round(time.monotonic() - began, 3)
    return dbt, gold, publish_downstream(settings, backend.catalog.table_reader(), step, timings)


def _quality_quarantine(backend: Backend, day: str, summary: dict[str, Any], step: Step) -> None:
    """The client records dbt's quality checks rejected: counted in the report, exported to quarantine."""
    step("client_health: quality quarantine")
    try:
        quality = day_quality(
            lambda sql: backend.query_engine.query(sql).rows, backend.catalog.table_reader(), backend.store, day
        )
    except Exception as exc:  # rejected rows not in quarantine: the run cannot say it succeeded
        summary["errors"].append(f"quality quarantine not written: {describe_error(exc)}")
        summary["status"] = "failed"
        return
    if quality:
        summary["quality"] = quality


def run_day(backend: Backend, day: str, step: Step = lambda _message: None) -> dict[str, Any]:
    """Processes what is in the landing zone for ``day``; returns (and writes) the run report.

    The caller holds the lake's writer lock (``backend.writer_lock``).
    """
    started = time.monotonic()
    started_at = sao_paulo_now()
    run_id = new_run_id(started_at)
    layout, store = backend.layout, backend.store
    layout.ensure_layers("landing", "bronze", "silver", "gold", "quarantine", "reports")

    timings: dict[str, float] = {}
    sources = _ingest(backend, day, step, timings)
    dbt, gold, publications = _build_and_publish(backend, day, crashed(sources), step, timings)
    backend.query_engine.refresh()  # readers see this run's catalog from now on
    if dbt.success:
        _quality_quarantine(backend, day, sources["client_health"], step)

    failed = (
        not dbt.success
        or any(summary["status"] == "failed" for summary in sources.values())
        or any(result.get("status") == "failed" for result in publications.values())
    )
    report: dict[str, Any] = {
        "run_id": run_id,
        "day": day,
        "lake": layout.uri,
        "status": "failed" if failed else "succeeded",
        "started_at": sao_paulo_time(started_at),
        "finished_at": sao_paulo_time(sao_paulo_now()),
        "sources": sources,
        "dbt": dbt.as_report(),
        "gold": gold,
        "publications": publications,
        "timings_seconds": {**timings, "total": round(time.monotonic() - started, 3)},
    }
    step("dashboard")
    try:
        report["dashboard"] = publish_dashboard(store, read_gold_from(backend.query_engine), day, report)
    except Exception as exc:  # the dashboard never hides the run's own outcome
        report["dashboard"] = f"not written: {describe_error(exc)}"
    report["finished_at"] = sao_paulo_time(sao_paulo_now())
    report["report"] = run_record_key(day, run_id)
    write_report(store, day, report)
    return report
