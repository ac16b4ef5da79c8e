"""``lakehouse package``: artifacts within Lambda's limits, handlers importable from the artifact alone
(plus what the managed layer and the runtime provide), the wheel carrying dbt and the layouts."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import Settings
from orchestration.aws.components import deployed_components
from orchestration.aws.package import (
    LAMBDA_UNZIPPED_LIMIT,
    LAMBDA_ZIPPED_LIMIT,
    MANAGED_LAYER_BUDGET,
    PROVIDED_TO_LAMBDA,
    Package,
    build_package,
    project_wheel_name,
)
from orchestration.cli import app


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    return build_package(tmp_path_factory.mktemp("artifacts"))


def test_the_lambda_artifact_fits_lambdas_limits_with_the_managed_layer(package: Package) -> None:
    artifact = package.artifact("lambda.zip")
    assert artifact.size <= LAMBDA_ZIPPED_LIMIT
    assert artifact.unzipped_size is not None
    assert artifact.unzipped_size + MANAGED_LAYER_BUDGET <= LAMBDA_UNZIPPED_LIMIT
    names = zipfile.ZipFile(artifact.path).namelist()
    for heavy in ("duckdb/", "pyspark/", "pyarrow/", "numpy/", "pandas/", "dbt/"):
        assert not any(name.startswith(heavy) for name in names), heavy


def _layer_stand_in(target: Path) -> Path:
    """The managed layer's and the runtime's packages, as they would be present: links to the venv's."""
    target.mkdir()
    for name in PROVIDED_TO_LAMBDA:
        distribution = metadata.distribution(name)
        for top in {Path(str(file)).parts[0] for file in distribution.files or []}:
            source = Path(str(distribution.locate_file(top)))
            if source.exists() and not (target / top).exists() and not top.endswith(".dist-info") and top != "..":
                (target / top).symlink_to(source)
    return target


def test_each_handler_imports_from_the_artifact_alone(package: Package, tmp_path: Path) -> None:
    code = tmp_path / "task"
    zipfile.ZipFile(package.artifact("lambda.zip").path).extractall(code)
    layer = _layer_stand_in(tmp_path / "layer")
    for function in deployed_components(Settings()).functions:
        module, attribute = function.handler.rsplit(".", 1)
        probe = (
            f"import sys; sys.path[:0] = [{str(code)!r}, {str(layer)!r}]; import {module} as m; "
            f"assert callable(m.{attribute}); "
            "assert not {'duckdb', 'pyspark'} & set(sys.modules), 'heavy engine imported'; "
            "assert sys.modules['pydantic'].__file__.startswith(sys.path[0])"
        )
        # -I -S: no site-packages, no user site, no PYTHONPATH: only the artifact, the layer and stdlib.
        result = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, f"{function.handler}: {result.stderr[-2000:]}"


def test_the_wheel_carries_dbt_the_profiles_and_the_layouts_and_no_local_engine(package: Package) -> None:
    wheel = zipfile.ZipFile(package.artifact(project_wheel_name()).path)
    names = set(wheel.namelist())
    assert {"dbt_project/dbt_project.yml", "dbt_project/profiles.yml", "ingestion/layouts/contracts.yml"} <= names
    assert "dbt_project/models/marts/salaries/salary_averages.sql" in names
    assert not any(name.startswith("dbt_project/target/") for name in names)
    requirements = [line for line in wheel.read("lakehouse-0.1.0.dist-info/METADATA").decode().splitlines() if line.startswith("Requires-Dist")]
    assert any("awswrangler" in line for line in requirements)
    assert not any(engine in line for line in requirements for engine in ("pyspark", "duckdb", "dbt-"))


def test_every_glue_script_the_template_names_is_an_artifact(package: Package) -> None:
    names = {artifact.name for artifact in package.artifacts}
    assert {job.script for job in deployed_components(Settings()).jobs} <= names


def test_an_unchanged_build_gets_the_same_prefix(package: Package, tmp_path: Path) -> None:
    assert build_package(tmp_path / "again").prefix == package.prefix


def test_the_package_command_writes_the_artifacts_and_their_manifest(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["package", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "manifest.json").is_file()
    assert "lambda.zip" in result.output
