"""Publication from gold: switch ``gold`` to the audited build, then feed MySQL and OpenSearch.

One body for the daily run (``orchestration.pipeline``) and the ``publish`` Glue job of the day workflows
(``glue_jobs/publish.py``, one target per step). Each downstream publisher answers
``{"status": "not_configured"}`` when its system is not configured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.backend import Backend
from core.settings import Settings
from core.table_readers import TableReader
from jobs.dbt import built_gold_models
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


def publish_target(backend: Backend, target: str) -> Any:
    """One publication step: ``gold`` (the audited build becomes gold), ``mysql`` or ``opensearch``.

    Gold goes through the backend's catalog (the embedded catalog's version switch locally, the Glue
    table's location switch on Athena); MySQL and OpenSearch read what dbt built through its reader."""
    if target not in TARGETS:
        raise ValueError(f"publication target {target!r}: expected one of {', '.join(TARGETS)}")
    if target == GOLD:
        return backend.catalog.publish_gold(built_gold_models(backend.settings))
    return PUBLISHERS[target](backend.settings, backend.catalog.table_reader())
