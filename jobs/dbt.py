"""Runs dbt in-process against the lake and summarises what it built and tested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.child_processes import die_with_this_process
from core.layout import LakeLayout
from core.settings import Settings
from ingestion.client_health.pseudonym import dbt_secret_environment

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


def dbt_environment(layout: LakeLayout, target: str) -> dict[str, str]:
    """The child process's environment: the profile reads the lake and target from it."""
    return {
        "LAKEHOUSE_LAKE": str(layout.root),
        "LAKEHOUSE_DBT_TARGET": target,
        "DBT_TARGET_PATH": str(layout.dbt_folder / "target"),
        "DBT_LOG_PATH": str(layout.dbt_folder / "logs"),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(
    command: list[str], settings: Settings, target: str = "local", extra_env: dict[str, str] | None = None
) -> DbtSummary:
    """Runs ``dbt <command>`` on the settings' lake in a child process (clean state, catalog file released
    when it ends) and summarises it from dbt's own run_results.json, not from its log lines.

    The key for gold.client_health ids goes as DBT_ENV_SECRET_PSEUDONYM_KEY (dbt scrubs it from its logs).
    """
    environment = {
        **os.environ,
        **dbt_environment(LakeLayout.local(settings.lake), target),
        **dbt_secret_environment(settings),
        **(extra_env or {}),
    }
    arguments = [
        sys.executable,
        "-c",
        "from dbt.cli.main import cli; cli()",
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(REPO_ROOT),
    ]
    results_path = Path(environment["DBT_TARGET_PATH"]) / "run_results.json"
    results_path.unlink(missing_ok=True)
    completed = subprocess.run(
        arguments,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=die_with_this_process(),  # no orphan dbt holding the catalog when the run is killed
    )
    summary = DbtSummary(success=completed.returncode == 0)
    if not results_path.exists():
        tail = (completed.stdout + completed.stderr).strip().splitlines()[-5:]
        summary.failures.append(f"dbt {' '.join(command)} exited {completed.returncode}: " + " | ".join(tail))
        return summary
    for result in json.loads(results_path.read_text())["results"]:
        resource_type, name = result["unique_id"].split(".")[0], result["unique_id"].split(".")[2]
        status = str(result["status"])
        if resource_type == "model":
            summary.models[name] = status
        elif resource_type == "test":
            summary.tests[name] = status
        if status in {"error", "fail", "runtime error"}:
            summary.failures.append(f"{resource_type} {name}: {status}: {result.get('message')}")
    if completed.returncode != 0 and not summary.failures:
        summary.failures.append(f"dbt {' '.join(command)} exited {completed.returncode}")
    return summary


def gold_models(layout: LakeLayout) -> dict[str, list[str]]:
    """Gold (marts) model name -> partition columns, from the manifest dbt wrote in this lake."""
    manifest = json.loads((layout.dbt_folder / "target" / "manifest.json").read_text())
    return {
        node["name"]: list(node["config"].get("partitioned_by") or [])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
