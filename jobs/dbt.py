"""Runs dbt in-process against the lake and summarises what it built and tested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import layout as lake
from core.backend import Backend
from core.child_processes import die_with_this_process
from core.layout import LakeLayout
from core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# The dbt docs site as one file: manifest and catalog inlined, so it opens from disk (the plain
# index.html fetches manifest.json, which a browser refuses over file://).
DOCS_KEY = f"{lake.REPORTS}/dbt-docs.html"


class DocsError(RuntimeError):
    pass


@dataclass
class DbtSummary:
    success: bool
    models: dict[str, str] = field(default_factory=dict)
    tests: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    # Gold (marts) models this invocation built successfully -> their partition columns.
    gold_models: dict[str, list[str]] = field(default_factory=dict)

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
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_vars(day: str | None, variables: dict[str, str] | None = None) -> dict[str, object]:
    """The vars every invocation gets: this process publishes gold itself once it has read dbt's results
    (see macros/publish_gold.sql), and incremental models process the ``day`` given (macros/ingestion_days.sql)."""
    return {"publish_gold": False, **({"day": day} if day else {}), **(variables or {})}


def run_dbt(
    command: list[str],
    settings: Settings,
    target: str = "local",
    extra_env: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    day: str | None = None,
) -> DbtSummary:
    """Runs ``dbt <command>`` on the settings' lake in a child process (clean state, catalog file released
    when it ends) and summarises it from dbt's own run_results.json, not from its log lines. ``day``
    (YYYY-MM-DD) is the ingestion day incremental models process; without it they catch up from the
    latest day built.
    """
    environment = {
        **os.environ,
        **dbt_environment(LakeLayout.local(settings.lake), target),
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
        str(DBT_PROJECT_DIR),
        "--vars",
        json.dumps(dbt_vars(day, variables)),
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


def run_dbt_on(backend: Backend, command: list[str], day: str | None = None) -> DbtSummary:
    """``dbt <command>`` on the backend's target (dbt-duckdb locally, dbt-athena on AWS); dbt's own state
    (target/, logs/) stays in the settings' local lake folder on both."""
    return run_dbt(command, backend.settings, target=backend.dbt_target, extra_env=backend.dbt_environment, day=day)


def built_gold_models(settings: Settings) -> dict[str, list[str]]:
    """The gold models of the last dbt run of these settings (see ``run_dbt_on``)."""
    return gold_models(LakeLayout.local(settings.lake))


def write_docs_site(backend: Backend) -> str:
    """``dbt docs generate --static`` on the backend's target, published as ``reports/dbt-docs.html`` in
    its lake; returns that key. Raises DocsError with dbt's own words when it fails."""
    summary = run_dbt_on(backend, ["docs", "generate", "--static"])
    static_index = LakeLayout.local(backend.settings.lake).dbt_folder / "target" / "static_index.html"
    if not summary.success or not static_index.exists():
        raise DocsError("dbt docs generate failed: " + ("; ".join(summary.failures) or "no static_index.html"))
    backend.store.write_bytes(DOCS_KEY, static_index.read_bytes())
    return DOCS_KEY


def build_on_athena(settings: Settings, select: str, workgroup: str, day: str | None = None) -> DbtSummary:
    """``dbt build --select SELECT`` on Athena (dbt-athena, target ``aws``) in the lake bucket, queries in
    ``workgroup`` (the pipeline's, whose enforced result location keeps results out of the lake), for the
    ingestion ``day`` (see ``run_dbt``). dbt's own state (target, logs) goes to a scratch folder that ends
    with the run; the gold models it built are in the summary (``gold_models``)."""
    if not settings.bucket:
        raise ValueError("dbt build on Athena needs the lake bucket: pass --lake_uri s3://BUCKET")
    with tempfile.TemporaryDirectory(prefix="dbt-") as work:
        summary = run_dbt(
            ["build", "--select", select],
            settings.for_lake(Path(work)),
            target="aws",
            extra_env={
                "LAKEHOUSE_BUCKET": settings.bucket,
                "LAKEHOUSE_REGION": settings.region,
                "LAKEHOUSE_ATHENA_WORKGROUP": workgroup,
            },
            day=day,
        )
        if summary.success:
            # What the publication step may publish: read here, before dbt's state goes with the folder.
            built = gold_models(LakeLayout.local(Path(work)))
            summary.gold_models = {name: built[name] for name in built if summary.models.get(name) == "success"}
        return summary
