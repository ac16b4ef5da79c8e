"""Glue job: one publication step of a day workflow: ``--target gold`` (switch gold to the audited
build), ``mysql`` or ``opensearch`` (feed the downstream systems from gold). The body is
``jobs.publication.publish_target``.

Arguments: ``--lake_uri``, ``--day``, ``--target``. ``gold`` publishes the models the day workflow's
``dbt-build`` step recorded as built and tested (``jobs.publication.built_gold_key``); a workflow whose
build failed never reaches this step.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from core.backend import backend_for_lake_uri
from glue_jobs.options import job_settings, resolve_options
from jobs.publication import publish_target

OPTIONS = ("lake_uri", "day", "target")


def main(argv: Sequence[str] | None = None) -> None:
    options = resolve_options(argv, OPTIONS)
    backend = backend_for_lake_uri(job_settings(argv), options["lake_uri"])
    result = publish_target(backend, options["target"], options["day"])
    logging.info("published: %s", result)
    if isinstance(result, dict) and result.get("status") == "failed":
        sys.exit(1)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    main()
