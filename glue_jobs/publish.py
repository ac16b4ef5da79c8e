"""Glue job: one publication step of a day workflow: ``--target gold`` (switch gold to the audited
build), ``mysql`` or ``opensearch`` (feed the downstream systems from gold).

Arguments: ``--lake_uri``, ``--day``, ``--target``. The bodies are the pipeline's publishers; on an
``s3://`` lake they need the AWS run path (gold published through the Glue Catalog, publishers reading
gold on S3), which until it lands is refused with that reason rather than run against nothing.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glue_jobs.options import job_settings, resolve_options
from ingestion.settings import Settings

OPTIONS = ("lake_uri", "day", "target")
TARGETS = ("gold", "mysql", "opensearch")


def run_job(options: dict[str, str], settings: Settings) -> Any:
    target, lake_uri = options["target"], options["lake_uri"]
    if target not in TARGETS:
        raise ValueError(f"--target {target}: expected one of {', '.join(TARGETS)}")
    if lake_uri.startswith("s3://"):
        raise ValueError(f"--lake_uri {lake_uri}: publication to {target} from S3 needs the AWS run path")
    from orchestration.dbt_runner import gold_models
    from orchestration.gold_publication import publish_gold
    from orchestration.pipeline import PUBLISHERS, catalog_path

    lake_root = Path(lake_uri).resolve()
    config = settings.for_lake(lake_root)
    if target == "gold":
        return publish_gold(catalog_path(lake_root), lake_root, gold_models(lake_root))
    return PUBLISHERS[target](config, catalog_path(lake_root))


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    result = run_job(resolve_options(argv, OPTIONS), job_settings(argv))
    logging.info("published: %s", result)
    if isinstance(result, dict) and result.get("status") == "failed":
        sys.exit(1)


if __name__ == "__main__":
    main()
