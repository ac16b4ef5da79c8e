"""``lakehouse run``: one day end to end — ingestion, dbt build (tests gate publication), publication."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingestion.catalog import register_bronze_tables
from ingestion.manifest import FileManifest, read_manifests
from ingestion.settings import Settings
from ingestion.storage import LocalObjectStore
from orchestration.dbt_runner import DbtSummary, gold_models, run_dbt
from orchestration.dispatcher import dispatch_object_created
from orchestration.gold_publication import publish_gold
from orchestration.read_only_query import publish_catalog_snapshot
from orchestration.report import (
    GateCheck,
    crashed,
    new_run_id,
    run_report_key,
    sao_paulo_now,
    sao_paulo_time,
    source_summary,
    write_report,
)
from orchestration.run_gates import RUN_TIME_GATES
from orchestration.sources import SOURCES, all_bronze_tables

Step = Callable[[str], None]


def catalog_path(lake_root: Path) -> Path:
    return lake_root / "catalog.duckdb"


def _ingest_source(store: LocalObjectStore, source_name: str, keys: list[str], step: Step) -> dict[str, str]:
    """Hands each delivered file to its handler; returns the files whose handler or job crashed, with why."""
    failures: dict[str, str] = {}
    for index, key in enumerate(keys, start=1):
        step(f"{source_name}: {index}/{len(keys)} {key.rsplit('/', 1)[-1]}")
        try:
            dispatch_object_created(store, key)
        except Exception as exc:  # one bad file never stops the others; the report names it
            failures[key] = _crash(exc)
    return failures


def _crash(exc: BaseException) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}"


def _mysql(settings: Settings, catalog: Path) -> dict[str, Any]:
    from serving.mysql import publish_employees

    outcome = publish_employees(settings, catalog)
    return {"status": "not_configured"} if outcome is None else {"status": "published", **outcome.as_dict()}


def _opensearch(settings: Settings, catalog: Path) -> dict[str, Any]:
    from orchestration.positional_day import publish_contract_plans_to_opensearch

    return publish_contract_plans_to_opensearch(settings, catalog)


PUBLISHERS: dict[str, Callable[[Settings, Path], dict[str, Any]]] = {"mysql": _mysql, "opensearch": _opensearch}


def publish_downstream(settings: Settings, catalog: Path, step: Step, timings: dict[str, float]) -> dict[str, Any]:
    """Gold-fed publications, each only when configured; one failing never hides the others."""
    results: dict[str, Any] = {}
    for name, publish in PUBLISHERS.items():
        step(f"publishing to {name}")
        began = time.monotonic()
        try:
            results[name] = publish(settings, catalog)
        except Exception as exc:  # publisher messages are built to carry no secret
            first_line = (str(exc).strip().splitlines() or [""])[0]
            results[name] = {"status": "failed", "error": f"{type(exc).__name__}: {first_line}"}
        timings[f"publish_{name}"] = round(time.monotonic() - began, 3)
    return results


def _ingest(settings: Settings, store: LocalObjectStore, day: str, step: Step, timings: dict[str, float]) -> dict[str, Any]:
    sources: dict[str, Any] = {}
    for source in SOURCES:
        began = time.monotonic()
        errors: list[str] = []
        extracted: list[FileManifest] | None = None
        if source.extract is not None:
            step(f"{source.name}: extracting")
            try:
                result = source.extract(settings, day)
                extracted = list(result) if isinstance(result, list) else []
            except Exception as exc:  # the source is down: reported, the other sources go on
                errors.append(_crash(exc))
        keys = source.landing_keys(store, day)
        failures = _ingest_source(store, source.name, keys, step)
        gate: GateCheck | None = None
        if source.name in RUN_TIME_GATES:
            step(f"{source.name}: day gate")
            try:
                gate = RUN_TIME_GATES[source.name](settings, store, day, keys)
            except Exception as exc:  # the job on the day's good files crashed
                errors.append(_crash(exc))
        # A pulled source reports what this run extracted: an ad-hoc extraction never changes a run.
        manifests = read_manifests(store, source.name, day) if extracted is None else extracted
        sources[source.name] = source_summary(manifests, errors, keys, failures, gate)
        timings[f"ingest_{source.name}"] = round(time.monotonic() - began, 3)
    return sources


def _build_and_publish(
    settings: Settings, lake_root: Path, crashed_sources: list[str], step: Step, timings: dict[str, float]
) -> tuple[DbtSummary, list[dict[str, Any]] | str, dict[str, Any]]:
    """dbt build, then gold and downstream publication when its tests pass; nothing at all after a crash."""
    if crashed_sources:
        # Silver and gold would be rebuilt from a partial day: nothing downstream of the crash is touched.
        failure = f"ingestion crashed ({', '.join(crashed_sources)})"
        skipped = DbtSummary(success=False, failures=[f"dbt build not run: {failure}"])
        return skipped, f"not published: {failure}; previous gold left unchanged", {}
    step("dbt build")
    began = time.monotonic()
    register_bronze_tables(catalog_path(lake_root), lake_root, all_bronze_tables(lake_root))
    dbt = run_dbt(["build"], lake_root)
    timings["dbt_build"] = round(time.monotonic() - began, 3)
    if not dbt.success:
        return dbt, "not published: dbt build failed (previous gold left unchanged)", {}
    step("publishing gold")
    began = time.monotonic()
    gold = [
        {"table": f"gold.{table.name}", "rows": table.rows, "version": table.version}
        for table in publish_gold(catalog_path(lake_root), lake_root, gold_models(lake_root))
    ]
    timings["publish_gold"] = round(time.monotonic() - began, 3)
    return dbt, gold, publish_downstream(settings, catalog_path(lake_root), step, timings)


def run_day(settings: Settings, day: str, step: Step = lambda _message: None) -> dict[str, Any]:
    """Processes what is in the landing zone for ``day``; returns (and writes) the run report.

    The caller holds the lake's writer lock (``orchestration.run_lock``).
    """
    started = time.monotonic()
    started_at = sao_paulo_now()
    run_id = new_run_id(started_at)
    lake_root = settings.lake.resolve()
    settings = settings.for_lake(lake_root)
    for layer in ("landing", "bronze", "silver", "gold", "quarantine", "reports"):
        (lake_root / layer).mkdir(parents=True, exist_ok=True)
    os.environ["LAKEHOUSE_LAKE"] = str(lake_root)  # the local handlers read their settings like a Lambda
    store = LocalObjectStore(lake_root)

    timings: dict[str, float] = {}
    sources = _ingest(settings, store, day, step, timings)
    crashed_sources = crashed(sources)

    dbt, gold, publications = _build_and_publish(settings, lake_root, crashed_sources, step, timings)

    failed = (
        not dbt.success
        or any(summary["status"] == "failed" for summary in sources.values())
        or any(result.get("status") == "failed" for result in publications.values())
    )
    report: dict[str, Any] = {
        "run_id": run_id,
        "day": day,
        "lake": str(lake_root),
        "status": "failed" if failed else "succeeded",
        "started_at": sao_paulo_time(started_at),
        "finished_at": sao_paulo_time(sao_paulo_now()),
        "sources": sources,
        "dbt": dbt.as_report(),
        "gold": gold,
        "publications": publications,
        "timings_seconds": {**timings, "total": round(time.monotonic() - started, 3)},
    }
    if dbt.success:
        from ingestion.client_health.quality import client_health_quality

        quality = client_health_quality(lake_root, day, catalog_path(lake_root))
        if quality:
            sources["client_health"]["quality"] = quality
    publish_catalog_snapshot(lake_root)  # readers see this run's catalog from now on
    step("dashboard")
    try:
        from serving.dashboard import write_dashboard

        report["dashboard"] = str(write_dashboard(lake_root, day, report))
    except Exception as exc:  # the dashboard never hides the run's own outcome
        report["dashboard"] = f"not written: {type(exc).__name__}: {exc}"
    report["finished_at"] = sao_paulo_time(sao_paulo_now())
    report["report"] = run_report_key(day, run_id)
    write_report(store, day, report)
    return report
