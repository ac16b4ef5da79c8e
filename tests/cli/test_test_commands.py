"""The test commands the README names: `make test` leaves the slow tests out, `make test-slow` runs
exactly them, and CI (`.ci/run`) runs both, the slow set even when the fast one failed."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from tests.conftest import SLOW_TESTS

REPO_ROOT = Path(__file__).resolve().parents[2]


def _make_dry_run(target: str) -> str:
    completed = subprocess.run(["make", "-n", target], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return completed.stdout


def test_make_test_leaves_the_slow_tests_to_make_test_slow() -> None:
    assert '.venv/bin/pytest -q -m "not slow"' in _make_dry_run("test")
    assert ".venv/bin/pytest -q -m slow" in _make_dry_run("test-slow")


def test_ci_runs_the_fast_and_the_slow_tests_whatever_the_first_gives() -> None:
    script = (REPO_ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines() if line.strip().startswith("make ")]
    assert commands == ["make test || status=$?", "make test-slow || status=$?"]
    assert script.rstrip().endswith('exit "$status"')


def test_the_readme_names_both_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make test-slow" in readme and '`pytest -m "not slow"`' in readme


def test_every_test_marked_slow_in_the_conftest_exists() -> None:
    for nodeid in SLOW_TESTS:
        path, name = nodeid.split("::")
        tree = ast.parse((REPO_ROOT / path).read_text())
        assert name in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}, nodeid
