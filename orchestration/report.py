"""The run report: per source files and row counts (from the manifests), dbt results, publications."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from core import layout as lake
from core.storage import ObjectStore
from ingestion.manifest import FileManifest


def source_summary(manifests: list[FileManifest], errors: list[str]) -> dict[str, Any]:
    by_reason: Counter[str] = Counter()
    for manifest in manifests:
        by_reason.update(manifest.quarantined_by_reason)
    errors = [*errors, *(f"{m.key}: {m.reason}" for m in manifests if m.status == "failed")]
    if errors:
        status = "failed"
    elif not manifests:
        status = "no_input"
    else:
        status = "ok"
    return {
        "status": status,
        "files": len(manifests),
        "files_quarantined": sum(manifest.status == "quarantined" for manifest in manifests),
        "rows_read": sum(manifest.rows_read for manifest in manifests),
        "rows_landed": sum(manifest.rows_landed for manifest in manifests),
        "rows_quarantined": sum(manifest.rows_quarantined for manifest in manifests),
        "quarantined_by_reason": dict(sorted(by_reason.items())),
        "file_details": [
            {
                "file": manifest.key,
                "status": manifest.status,
                "rows_read": manifest.rows_read,
                "rows_landed": manifest.rows_landed,
                "rows_quarantined": manifest.rows_quarantined,
                "quarantined_by_reason": manifest.quarantined_by_reason,
                **({"reason": manifest.reason} if manifest.reason else {}),
            }
            for manifest in sorted(manifests, key=lambda item: item.key)
        ],
        "errors": errors,
    }


def write_report(store: ObjectStore, day: str, report: dict[str, Any]) -> str:
    key = lake.run_report_key(day)
    store.write_bytes(
        key, (json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()
    )
    return key
