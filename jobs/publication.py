"""Publication from gold: switch ``gold`` to the audited build, then feed MySQL and OpenSearch.

One body for the daily run (``orchestration.pipeline``) and the ``publish`` Glue job of the day workflows
(``glue_jobs/publish.py``, one target per step). Each downstream publisher answers
``{"status": "not_configured"}`` when its system is not configured.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from core.backend import Backend
from core.layout import REPORTS
from core.settings import Settings
from core.storage import ObjectStore
from core.table_readers import TableReader
from jobs.positional_day import publish_contract_plans_to_opensearch
from serving.mysql import publish_employees

GOLD = "gold"


def _mysql(settings: Settings, source: TableReader) -> dict[str, Any]:
    outcome = publish_employees(settings, source)
    return {"status": "not_configured"} if outcome is None else {"status": "published", **outcome.as_dict()}


PUBLISHERS: dict[str, Callable[[Settings, TableReader], dict[str, Any]]] = {
    "mysql": _mysql,
    "opensearch": publish_contract_plans_to_opensearch,
}
TARGETS = (GOLD, *PUBLISHERS)


def built_gold_key(day: str) -> str:
    """Where a day workflow's dbt build step leaves the gold models it built and tested for the
    publication step that follows it (separate Glue jobs: nothing else passes between them)."""
    return f"{REPORTS}/dbt/{day}/built-gold.json"


def record_built_gold(store: ObjectStore, day: str, models: dict[str, list[str]]) -> None:
    """Written after every build step, so a failed build leaves nothing for its publication to take."""
    store.write_bytes(built_gold_key(day), json.dumps(models, sort_keys=True).encode())


def recorded_built_gold(store: ObjectStore, day: str) -> dict[str, list[str]]:
    if not store.exists(built_gold_key(day)):
        raise FileNotFoundError(f"{built_gold_key(day)}: no dbt build step recorded gold for {day}")
    models: dict[str, list[str]] = json.loads(store.read_bytes(built_gold_key(day)))
    return models


def publish_target(backend: Backend, target: str, day: str) -> Any:
    """One publication step of ``day``'s workflow: ``gold`` (the gold models its dbt build step built
    and tested become gold), ``mysql`` or ``opensearch``.

    Gold goes through the backend's catalog (the embedded catalog's version switch locally, the Glue
    table's location switch on Athena); MySQL and OpenSearch read what dbt built through its reader."""
    if target not in TARGETS:
        raise ValueError(f"publication target {target!r}: expected one of {', '.join(TARGETS)}")
    if target == GOLD:
        return backend.catalog.publish_gold(recorded_built_gold(backend.store, day))
    return PUBLISHERS[target](backend.settings, backend.catalog.table_reader())
