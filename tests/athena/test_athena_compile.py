"""The same dbt project compiles for the `aws` target (dbt-athena) against Glue (moto server), and every
compiled statement is valid Athena SQL for sqlglot."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import sqlglot
from sqlglot.errors import ParseError

from core.settings import Settings
from jobs.dbt import run_dbt

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Path:
    patch = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LAKEHOUSE_BUCKET": "athena-compile-lake",
    }.items():
        patch.setenv(name, value)
    glue = boto3.client("glue")
    boto3.client("s3").create_bucket(Bucket="athena-compile-lake")
    existing = {database["Name"] for database in glue.get_databases()["DatabaseList"]}
    for database in ("bronze", "silver", "gold_build", "gold"):
        if database not in existing:
            glue.create_database(DatabaseInput={"Name": database})
    lake = tmp_path_factory.mktemp("athena")
    summary = run_dbt(["compile"], Settings(lake=lake), target="aws")
    patch.undo()
    assert summary.success, summary.failures
    return lake / ".dbt" / "target" / "compiled" / "lakehouse"


def test_every_model_and_test_compiles_to_athena_sql(compiled: Path) -> None:
    files = sorted(compiled.rglob("*.sql"))
    assert any(path.name == "salary_averages.sql" for path in files)
    unparsable = []
    for path in files:
        try:
            sqlglot.parse(path.read_text(), read="athena")
        except ParseError as exc:
            unparsable.append(f"{path.relative_to(compiled)}: {exc}")
    assert not unparsable
    assert len(files) > 20


def test_adapter_specific_sql_is_dispatched_to_athena(compiled: Path) -> None:
    gold = (compiled / "models" / "marts" / "salary_averages.sql").read_text()
    assert "round(avg(salario), 2)" in gold
    assert "hugeint" not in gold and "//" not in gold
    assert '"awsdatacatalog"."silver"."stg_partner_csv__employees"' in gold
