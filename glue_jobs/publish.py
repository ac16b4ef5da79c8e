"""Glue job: one publication step of a day workflow: ``--target gold`` (switch gold to the audited
build), ``mysql`` or ``opensearch`` (feed the downstream systems from gold). The body is
``jobs.publication.publish_target``.

Arguments: ``--lake_uri``, ``--day``, ``--target``. Publication reads the embedded catalog; on an
``s3://`` lake it needs the AWS run path (gold published through the Glue Catalog, publishers reading
gold on S3), which until it lands is refused with that reason rather than run against nothing.
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
    result = publish_target(backend_for_lake_uri(job_settings(argv), options["lake_uri"]), options["target"])
    logging.info("published: %s", result)
    if isinstance(result, dict) and result.get("status") == "failed":
        sys.exit(1)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    main()
