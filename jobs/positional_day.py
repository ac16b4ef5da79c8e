"""The positional day job: started once by the day gate when the seven files of a day are converted.

It registers the bronze tables, builds ``gold.contract_plans`` and what it depends on with dbt (the tests
gate publication), publishes the audited table to ``gold/contract_plans`` and, when an OpenSearch URL is
configured, indexes its rows (the contract number is the document id, so a rerun overwrites the same
documents). Whatever happens, it ends by writing the job record ``reports/jobs/positional/<day>.json``
that the SLA check reads. Runs on either backend: dbt-duckdb and the lake folder, or dbt-athena, Glue and S3.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

from core.backend import Backend
from core.errors import describe_error
from core.registry import all_bronze_tables
from core.secrets import SecretNotFoundError
from core.settings import Settings
from core.table_readers import CatalogTableReader, TableReader
from ingestion.positional.converter import SOURCE
from ingestion.positional.dbt_yaml import GOLD_MODEL
from ingestion.positional.tables import contract_plans_key
from jobs.dbt import run_dbt_on
from jobs.job_record import FAILED, SUCCEEDED, write_job_record
from jobs.sla_check import JOB
from serving.gold_publication import PUBLISHED_SCHEMA
from serving.opensearch import OpenSearchPublisher, contract_plans_index, opensearch_configured

logger = logging.getLogger(__name__)

DBT_SELECTOR = f"+{GOLD_MODEL}"
Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def read_gold_contract_plans(source: TableReader) -> pa.Table:
    """``gold.contract_plans`` as an Arrow table, in key order (the publication order is reproducible)."""
    table = source.read(PUBLISHED_SCHEMA, GOLD_MODEL).read_all()
    return table.sort_by([(name, "ascending") for name in contract_plans_key()])


def publish_contract_plans_to_opensearch(settings: Settings, source: TableReader | Path) -> dict[str, Any]:
    """Indexes the published gold rows; ``{"status": "not_configured"}`` without an OpenSearch URL (or, on
    AWS, a secret naming one).

    ``source`` reads gold: a ``TableReader`` (S3 through Glue on AWS) or the local catalog file.
    """
    if not opensearch_configured(settings):
        return {"status": "not_configured"}
    try:
        publisher = OpenSearchPublisher.from_settings(settings)
    except SecretNotFoundError as missing:
        # The template always names a secret; a deployment without OpenSearch simply does not create it.
        return {"status": "not_configured", "reason": str(missing)}
    reader = CatalogTableReader(source) if isinstance(source, Path) else source
    result = publisher.publish_table(
        contract_plans_index(), read_gold_contract_plans(reader)
    )
    return {
        "status": "published",
        "index": result.index,
        "documents": result.documents,
        "results": dict(sorted(result.results.items())),
        "requests": result.requests,
        "retries": result.retries,
    }


def run_positional_day(backend: Backend, day: str, clock: Clock = _utc_now) -> dict[str, Any]:
    """Builds and publishes the day's ``gold.contract_plans``; returns the job record it wrote."""
    started_at = clock()
    settings, layout = backend.settings, backend.layout
    layout.ensure_layers("silver", "gold", "reports")
    errors: list[str] = []
    dbt_report: dict[str, Any] | None = None
    gold: list[dict[str, Any]] | str = "not published (previous gold left unchanged)"
    opensearch: dict[str, Any] = {"status": "skipped", "reason": "gold not published"}
    try:
        backend.catalog.register_bronze(all_bronze_tables(settings.lake.resolve()))
        dbt = run_dbt_on(backend, ["build", "--select", DBT_SELECTOR], day=day)
        dbt_report = dbt.as_report()
        errors += dbt.failures
        if dbt.success:
            gold = backend.catalog.publish_gold({GOLD_MODEL: []})
            try:
                opensearch = publish_contract_plans_to_opensearch(settings, backend.catalog.table_reader())
            except Exception as exc:  # reported in the record; the gold table stays published
                opensearch = {"status": "failed", "error": describe_error(exc)}
                errors.append(f"opensearch: {opensearch['error']}")
    except Exception as exc:  # the record must be written whatever failed, or the SLA check sees nothing
        errors.append(describe_error(exc))
    status = SUCCEEDED if not errors else FAILED
    record = {
        "job": JOB,
        "source": SOURCE,
        "day": day,
        "status": status,
        "started_at": _timestamp(started_at),
        "finished_at": _timestamp(clock()),
        "dbt_select": DBT_SELECTOR,
        "dbt": dbt_report,
        "gold": gold,
        "opensearch": opensearch,
        "errors": errors,
    }
    backend.query_engine.refresh()  # readers (lakehouse query) see the newly published table
    written = write_job_record(backend.store, SOURCE, day, record)
    log = logger.info if status == SUCCEEDED else logger.error
    log("positional day %s %s: gold %s, opensearch %s", day, status, gold, opensearch["status"])
    return written
