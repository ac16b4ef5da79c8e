"""Publication from gold: switch ``gold`` to the audited build, then feed MySQL and OpenSearch.

One body for the daily run (``orchestration.pipeline``) and the ``publish`` Glue job of the day workflows
(``glue_jobs/publish.py``, one target per step). Each downstream publisher answers
``{"status": "not_configured"}`` when its system is not configured.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.backend import Backend
from core.settings import Settings
from jobs.dbt import gold_models
from jobs.positional_day import publish_contract_plans_to_opensearch
from serving.gold_publication import publish_gold
from serving.mysql import publish_employees

GOLD = "gold"


def _mysql(settings: Settings, catalog: Path) -> dict[str, Any]:
    outcome = publish_employees(settings, catalog)
    return {"status": "not_configured"} if outcome is None else {"status": "published", **outcome.as_dict()}


PUBLISHERS: dict[str, Callable[[Settings, Path], dict[str, Any]]] = {
    "mysql": _mysql,
    "opensearch": publish_contract_plans_to_opensearch,
}
TARGETS = (GOLD, *PUBLISHERS)


def publish_target(backend: Backend, target: str) -> Any:
    """One publication step: ``gold`` (the audited build becomes gold), ``mysql`` or ``opensearch``.

    Publication reads the embedded catalog, so it needs a lake folder; the layout says so, naming the
    lake, when given a bucket."""
    if target not in TARGETS:
        raise ValueError(f"publication target {target!r}: expected one of {', '.join(TARGETS)}")
    layout = backend.layout
    if target == GOLD:
        return publish_gold(layout.catalog_path, layout.root, gold_models(layout))
    return PUBLISHERS[target](backend.settings, layout.catalog_path)
