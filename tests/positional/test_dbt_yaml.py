"""The dbt YAML generated from the layouts is committed as generated, and follows a layout change."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from ingestion.positional.dbt_yaml import (
    DBT_PROJECT_DIR,
    HEADER,
    MARTS_PATH,
    SOURCES_PATH,
    main,
    render_marts,
    render_sources,
    rendered_files,
    stale_files,
)
from ingestion.positional.layout import LAYOUTS_DIR, load_layouts


def test_the_committed_files_are_the_generated_ones() -> None:
    for path, text in rendered_files().items():
        committed = (DBT_PROJECT_DIR / path).read_text(encoding="utf-8")
        assert committed == text, f"{path} is stale: run python -m ingestion.positional.dbt_yaml"
        assert committed.startswith(HEADER)
    assert stale_files() == []


def test_sources_declare_every_layout_column_with_type_and_description() -> None:
    (source,) = yaml.safe_load(render_sources())["sources"]
    assert (source["name"], source["schema"]) == ("positional", "bronze")
    tables = {table["name"]: table for table in source["tables"]}
    layouts = load_layouts()
    assert set(tables) == {f"positional_{name}" for name in layouts}
    for name, layout in layouts.items():
        columns = [column["name"] for column in tables[f"positional_{name}"]["columns"]]
        assert columns == [*layout.column_names, "_source_file", "_source_line", "ingestion_date"]
    contracts = {column["name"]: column for column in tables["positional_contracts"]["columns"]}
    assert contracts["numero_contrato"]["description"] == "Número do contrato, com zeros à esquerda"
    assert contracts["ingestion_date"]["description"].startswith("Day the file was delivered")
    assert tables["positional_contracts"]["meta"]["key"] == ["numero_contrato"]


def test_the_gold_contract_types_come_from_the_layout_types() -> None:
    (model,) = yaml.safe_load(render_marts())["models"]
    assert model["name"] == "contract_plans"
    assert "BASIC" in model["description"]
    types = {column["name"]: column["data_type"] for column in model["columns"]}
    assert types == {
        "numero_contrato": "varchar",
        "plano": "varchar",
        "descricao": "varchar",
        "id_plano": "bigint",
        "nome_plano": "varchar",
        "valor_mensal": "decimal(10,2)",
    }
    tests = {column["name"]: column.get("data_tests", []) for column in model["columns"]}
    assert tests["numero_contrato"] == ["not_null", "unique"]
    assert tests["descricao"] == []  # optional in the layout
    assert tests["valor_mensal"] == ["not_null"]


def test_a_layout_change_without_regenerating_is_detected(tmp_path: Path) -> None:
    layouts_dir = tmp_path / "layouts"
    shutil.copytree(LAYOUTS_DIR, layouts_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    plans = layouts_dir / "plan_catalog.yml"
    text = plans.read_text(encoding="utf-8").replace("record_length: 44", "record_length: 52")
    plans.write_text(
        text
        + "  - {name: inicio_vigencia, start: 45, length: 8, type: date, format: '%Y%m%d',"
        + " description: Início da vigência do plano}\n",
        encoding="utf-8",
    )

    changed = rendered_files(load_layouts(layouts_dir))

    committed = {path: (DBT_PROJECT_DIR / path).read_text(encoding="utf-8") for path in changed}
    assert changed[SOURCES_PATH] != committed[SOURCES_PATH]
    assert changed[MARTS_PATH] != committed[MARTS_PATH]
    (model,) = yaml.safe_load(changed[MARTS_PATH])["models"]
    assert model["columns"][-1] == {
        "name": "inicio_vigencia",
        "data_type": "date",
        "description": "Início da vigência do plano",
    }


def test_the_command_writes_the_files_and_check_fails_on_a_stale_one(tmp_path: Path) -> None:
    assert main(["--check", "--project-dir", str(tmp_path)]) == 1  # nothing generated yet
    assert main(["--project-dir", str(tmp_path)]) == 0
    assert main(["--check", "--project-dir", str(tmp_path)]) == 0
    marts = tmp_path / MARTS_PATH
    marts.write_text(marts.read_text(encoding="utf-8").replace("bigint", "integer"), encoding="utf-8")
    assert main(["--check", "--project-dir", str(tmp_path)]) == 1
