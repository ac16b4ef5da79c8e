"""dbt as a user runs it, with the README's "Using dbt directly" in hand: on a lake the demo filled, plain
`dbt build` and `dbt docs generate` from the repo root (and `dbt test` from dbt_project/) work, and a
tested build publishes gold through the same publication the `lakehouse` run uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.support.partner_bronze import write_partner_bronze

pytestmark = [pytest.mark.spark, pytest.mark.slow]
REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
DAY = "2025-03-10"
NEXT_DAY = "2025-03-11"
KEY = "dbt-cli-test-key"


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    lake = tmp_path_factory.mktemp("demo") / "lake"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAKEHOUSE_PSEUDONYM_KEY", KEY)
        result = CliRunner().invoke(app, ["demo", "--lake", str(lake), "--date", DAY, "--rows", "200"])
    assert result.exit_code == 0, result.output
    yield lake


def _readme_environment(lake: Path, work: Path) -> dict[str, str]:
    """The variables the README's "Using dbt directly" sets, and nothing from this test process."""
    environment = {
        "PATH": f"{DBT.parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(work)),
        "DO_NOT_TRACK": "1",
        "DBT_PROJECT_DIR": str(REPO_ROOT / "dbt_project"),
        "DBT_PROFILES_DIR": str(REPO_ROOT / "dbt_project"),
        "LAKEHOUSE_LAKE": str(lake),
        # Optional in the README; here they keep the checkout's dbt_project/ free of test output.
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        # The shared test venv has the project installed from another checkout: import this one.
        "PYTHONPATH": str(REPO_ROOT),
    }
    return environment


def _dbt(arguments: list[str], cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DBT), *arguments], cwd=cwd, env=environment, capture_output=True, text=True, check=False, timeout=900
    )


def _gold_salary_months(lake: Path) -> set[tuple[int, int]]:
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        return set(connection.execute("select distinct ano, mes from gold.salary_averages").fetchall())


def test_dbt_build_and_docs_from_the_repo_root_publish_tested_gold(demo_lake: Path, tmp_path: Path) -> None:
    version_before = os.readlink(demo_lake / "gold" / "salary_averages")
    assert (2019, 1) not in _gold_salary_months(demo_lake)
    # A partner file of the next day, already in bronze: only dbt runs from here on.
    write_partner_bronze(
        demo_lake, NEXT_DAY, "atrasados", [(900001, 33, True, "4321.09", "2019-01-01")], f"{NEXT_DAY}T09:00:00+00:00"
    )
    environment = _readme_environment(demo_lake, tmp_path)

    built = _dbt(["build"], REPO_ROOT, environment)

    assert built.returncode == 0, built.stdout[-3000:]
    assert "published gold.salary_averages" in built.stdout
    assert (2019, 1) in _gold_salary_months(demo_lake)
    assert os.readlink(demo_lake / "gold" / "salary_averages") != version_before
    with duckdb.connect(str(demo_lake / "catalog.duckdb"), read_only=True) as connection:
        assert connection.execute(
            "select salario_medio, funcionarios, salario_total from gold.salary_averages where ano = 2019"
        ).fetchall() == [(Decimal("4321.09"), 1, Decimal("4321.09"))]

    docs = _dbt(["docs", "generate", "--static"], REPO_ROOT, environment)

    assert docs.returncode == 0, docs.stdout[-3000:]
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert "model.lakehouse.salary_averages" in catalog["nodes"]
    assert (tmp_path / "target" / "static_index.html").is_file()


def test_dbt_test_from_the_project_folder_needs_no_flags(demo_lake: Path, tmp_path: Path) -> None:
    environment = _readme_environment(demo_lake, tmp_path)
    del environment["DBT_PROJECT_DIR"], environment["DBT_PROFILES_DIR"]

    tested = _dbt(["test", "--select", "salary_averages"], REPO_ROOT / "dbt_project", environment)

    assert tested.returncode == 0, tested.stdout[-3000:]
    assert "PASS=" in tested.stdout and "published" not in tested.stdout


def _client_ids(lake: Path) -> list[str]:
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        return [row[0] for row in connection.execute("select id from gold.client_health order by id").fetchall()]


def test_dbt_needs_no_pseudonym_key_and_rebuilds_the_same_client_ids(demo_lake: Path, tmp_path: Path) -> None:
    """The ids come from bronze (the Glue job holds the key): dbt runs with no key at all, builds and
    publishes gold.client_health with the same ids. (Its version folder is named by the content's hash,
    so whether it changes says nothing here.)"""
    ids_before = _client_ids(demo_lake)
    environment = _readme_environment(demo_lake, tmp_path)
    assert not any("PSEUDONYM" in name for name in environment)

    built = _dbt(["build", "--select", "+client_health"], REPO_ROOT, environment)

    assert built.returncode == 0, built.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    statuses = {result["unique_id"]: result["status"] for result in results["results"]}
    assert statuses["model.lakehouse.client_health"] == "success"
    assert f"published gold.client_health: {len(ids_before)} rows" in built.stdout
    assert ids_before and _client_ids(demo_lake) == ids_before
