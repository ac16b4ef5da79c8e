"""Runs dbt in-process against the lake and summarises what it built and tested."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@dataclass
class DbtSummary:
    success: bool
    models: dict[str, str] = field(default_factory=dict)
    tests: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def as_report(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "models": self.models,
            "tests": {
                "total": len(self.tests),
                "passed": sum(status == "pass" for status in self.tests.values()),
                "failed": sorted(name for name, status in self.tests.items() if status in {"fail", "error"}),
            },
            "failures": self.failures,
        }


def dbt_environment(lake_root: Path, target: str) -> dict[str, str]:
    return {
        "LAKEHOUSE_LAKE": str(lake_root),
        "LAKEHOUSE_DBT_TARGET": target,
        "DBT_TARGET_PATH": str(lake_root / ".dbt" / "target"),
        "DBT_LOG_PATH": str(lake_root / ".dbt" / "logs"),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(command: list[str], lake_root: Path, target: str = "local", quiet: bool = True) -> DbtSummary:
    """``command`` like ``["build"]``; results come from dbt's own result objects, not log scraping."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_environment(lake_root, target))
    arguments = [*command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(REPO_ROOT)]
    if quiet:
        arguments += ["--quiet", "--log-level-file", "info"]
    outcome = dbtRunner().invoke(arguments)
    summary = DbtSummary(success=bool(outcome.success))
    if outcome.exception is not None:
        summary.failures.append(f"dbt {' '.join(command)}: {outcome.exception}")
    for result in getattr(outcome.result, "results", None) or []:
        node = result.node
        status = str(result.status)
        if node.resource_type == "model":
            summary.models[node.name] = status
        elif node.resource_type == "test":
            summary.tests[node.name] = status
        if status in {"error", "fail"}:
            summary.failures.append(f"{node.resource_type} {node.name}: {status}: {result.message}")
    return summary


def gold_models(lake_root: Path) -> dict[str, list[str]]:
    """Gold (marts) model name -> partition columns, from the manifest dbt wrote in this lake."""
    manifest = json.loads((lake_root / ".dbt" / "target" / "manifest.json").read_text())
    return {
        node["name"]: list(node["config"].get("partitioned_by") or [])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
