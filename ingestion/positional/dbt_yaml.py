"""The dbt YAML the positional layouts imply, rendered from them and committed.

Two files are generated, never edited by hand:

- ``models/staging/positional/_positional__sources.yml``: source ``positional`` over schema ``bronze``,
  one table ``positional_<layout>`` per layout with every column, its type and description;
- ``models/marts/contracts/_contracts__models.yml``: the enforced contract of ``gold.contract_plans`` (columns,
  types, descriptions, tests), derived from the contracts and plan-catalog layouts.

Run ``python -m ingestion.positional.dbt_yaml`` after changing a layout; ``--check`` exits non-zero when
the committed files are stale (``tests/positional/test_dbt_yaml.py`` does the same in CI).

Types: the contract spells each Arrow type as DuckDB does (``varchar``, ``bigint``, ``decimal(p,s)``,
``date``); Athena (Trino) accepts the same words in a CTAS, so one spelling serves both targets.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ingestion.positional.layout import Layout, default_layouts
from ingestion.positional.tables import (
    contract_plans_key,
    contract_plans_schema,
    dbt_source_tables,
    sql_type,
)

SOURCE_NAME = "positional"
GOLD_MODEL = "contract_plans"
DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
SOURCES_PATH = Path("models/staging/positional/_positional__sources.yml")
MARTS_PATH = Path("models/marts/contracts/_contracts__models.yml")
HEADER = "# generated from ingestion/layouts by `python -m ingestion.positional.dbt_yaml`; do not edit\n"

SOURCE_DESCRIPTION = (
    "Positional (fixed-width) files, seven a day under landing/positional/<YYYY-MM-DD>/, each converted"
    " to Parquet on arrival by its layout (ingestion/layouts/<layout>.yml). One bronze table per layout,"
    " partitioned by ingestion_date; rejected lines are in quarantine/positional/<day>/, never here."
)
GOLD_DESCRIPTION = (
    "Contracts with their plan: every contract whose plano is not BASICO, joined with the plan catalog"
    " on id_plano (the latest delivery of each contract and plan wins). plano is five characters wide"
    " (positions 11-15), so the sender's BASICO arrives truncated as BASIC: both spellings are excluded."
    " Contracts whose id_plano is not in the catalog are left out (the staging relationship test warns)."
    " Published as gold.contract_plans (Parquet under gold/contract_plans/) and to OpenSearch, one"
    " document per numero_contrato. Columns: the contracts layout, then the plan-catalog columns it lacks."
)


class _Dumper(yaml.SafeDumper):
    """Indented lists and folded long descriptions, as the hand-written dbt YAML of the project."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = ">" if len(text) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def _dump(document: Mapping[str, Any]) -> str:
    body = yaml.dump(dict(document), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def render_sources(layouts: Mapping[str, Layout] | None = None) -> str:
    """``_positional__sources.yml``: every layout's bronze table with its columns."""
    return _dump(
        {
            "version": 2,
            "sources": [
                {
                    "name": SOURCE_NAME,
                    "description": SOURCE_DESCRIPTION,
                    # Source freshness: a row's delivery day is its Hive partition.
                    "config": {"loaded_at_field": "cast(ingestion_date as timestamp)"},
                    "schema": "bronze",
                    "tables": dbt_source_tables(layouts),
                }
            ],
        }
    )


def render_marts(layouts: Mapping[str, Layout] | None = None) -> str:
    """``_contracts__models.yml``: the contract of ``gold.contract_plans``."""
    key = contract_plans_key(layouts)
    columns = []
    for column in contract_plans_schema(layouts):
        tests: list[str] = []
        if not column.nullable:
            tests.append("not_null")
        if key == (column.name,):
            tests.append("unique")
        entry: dict[str, Any] = {"name": column.name, "data_type": sql_type(column.type)}
        description = (column.metadata or {}).get(b"description", b"").decode()
        if description:
            entry["description"] = description
        if tests:
            entry["data_tests"] = tests
        columns.append(entry)
    model: dict[str, Any] = {"name": GOLD_MODEL, "description": GOLD_DESCRIPTION}
    if len(key) > 1:
        model["data_tests"] = [
            {"unique_combination_of_columns": {"arguments": {"combination_of_columns": list(key)}}}
        ]
    model["columns"] = columns
    return _dump({"version": 2, "models": [model]})


def rendered_files(layouts: Mapping[str, Layout] | None = None) -> dict[Path, str]:
    """Path relative to the dbt project -> generated text."""
    found = layouts or default_layouts()
    return {SOURCES_PATH: render_sources(found), MARTS_PATH: render_marts(found)}


def stale_files(project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """The generated files whose committed text differs from what the layouts give now."""
    return [
        path
        for path, text in rendered_files().items()
        if not (project_dir / path).is_file() or (project_dir / path).read_text(encoding="utf-8") != text
    ]


def write_files(project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    written = []
    for path, text in rendered_files().items():
        target = project_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    parser.add_argument("--project-dir", type=Path, default=DBT_PROJECT_DIR)
    arguments = parser.parse_args(argv)
    if arguments.check:
        stale = stale_files(arguments.project_dir)
        for path in stale:
            print(f"{arguments.project_dir / path} is stale: run python -m ingestion.positional.dbt_yaml")
        return 1 if stale else 0
    for target in write_files(arguments.project_dir):
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
