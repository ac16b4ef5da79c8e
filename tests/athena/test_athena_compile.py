"""The same dbt project compiles for the `aws` target (dbt-athena) against Glue (moto server), and every
compiled statement is valid Athena SQL for sqlglot."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot.errors import ParseError

pytestmark = pytest.mark.slow


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
    gold = (compiled / "models" / "marts" / "salaries" / "salary_averages.sql").read_text()
    assert "round(avg(salario), 2)" in gold
    assert "hugeint" not in gold and "//" not in gold
    assert '"awsdatacatalog"."silver"."stg_partner_csv__employees"' in gold
