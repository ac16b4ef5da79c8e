"""Layouts as code: the seven files, and load-time errors that name the layout and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from ingestion.positional.dbt_yaml import render_sources
from ingestion.positional.layout import (
    LayoutError,
    UnknownLayoutError,
    layout_for_filename,
    load_layout,
    load_layouts,
)
from ingestion.positional.tables import (
    contract_plans_schema,
    dbt_source_tables,
    positional_bronze_tables,
)


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _layout(
    tmp_path: Path, fields: str, record_length: int = 29, name: str = "sample", extra: str = ""
) -> Path:
    return _write(
        tmp_path,
        name,
        f"""
        name: {name}
        file_pattern: "SAMPLE_*.TXT"
        record_length: {record_length}
        {extra}
        fields:
        """
        + textwrap.indent(textwrap.dedent(fields), "        "),
    )


def test_the_repository_defines_seven_layouts_with_the_contracts_layout_of_the_design() -> None:
    layouts = load_layouts()
    assert len(layouts) == 7
    contracts = layouts["contracts"]
    assert [(f.name, f.start, f.end) for f in contracts.fields] == [
        ("numero_contrato", 1, 10),
        ("plano", 11, 15),
        ("descricao", 16, 25),
        ("id_plano", 26, 29),
    ]
    assert contracts.record_length == 29
    assert [f.name for f in layouts["plan_catalog"].fields] == ["id_plano", "nome_plano", "valor_mensal"]
    assert layouts["plan_catalog"].field("valor_mensal").arrow_type() == pa.decimal128(10, 2)
    assert {name for name, layout in layouts.items() if layout.trailer} == {
        "beneficiaries",
        "payments",
        "claims",
    }


def test_the_bronze_schema_is_the_layout_plus_lineage() -> None:
    schema = load_layouts()["contracts"].arrow_schema()
    assert schema.names == [
        "numero_contrato",
        "plano",
        "descricao",
        "id_plano",
        "_source_file",
        "_source_line",
    ]
    assert schema.field("id_plano").type == pa.int64()
    assert not schema.field("numero_contrato").nullable and schema.field("descricao").nullable


def test_overlapping_fields_fail_naming_layout_and_field(tmp_path: Path) -> None:
    path = _layout(
        tmp_path,
        """
        - {name: a, start: 1, length: 10}
        - {name: b, start: 9, length: 20}
        """,
    )
    with pytest.raises(
        LayoutError, match=r"layout 'sample', field 'b': record: positions 9-28 overlap field 'a' \(1-10\)"
    ):
        load_layout(path)


def test_a_gap_between_fields_fails_naming_the_field_after_it(tmp_path: Path) -> None:
    path = _layout(
        tmp_path,
        """
        - {name: a, start: 1, length: 10}
        - {name: b, start: 13, length: 17}
        """,
    )
    with pytest.raises(
        LayoutError, match=r"layout 'sample', field 'b': record: gap at positions 11-12 after field 'a'"
    ):
        load_layout(path)


def test_fields_shorter_than_the_record_length_fail(tmp_path: Path) -> None:
    path = _layout(tmp_path, "- {name: a, start: 1, length: 27}\n")
    with pytest.raises(
        LayoutError,
        match=r"field 'a': record: the last field ends at position 27 but the record length is 29",
    ):
        load_layout(path)


def test_a_field_beyond_the_record_length_fails(tmp_path: Path) -> None:
    path = _layout(tmp_path, "- {name: a, start: 1, length: 30}\n")
    with pytest.raises(
        LayoutError, match=r"field 'a': record: ends at position 30, beyond the record length 29"
    ):
        load_layout(path)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            "{name: d, start: 1, length: 29, type: date, format: '%Y%m%d'}",
            "renders 8 characters, field has 29",
        ),
        ("{name: d, start: 1, length: 29, type: money}", "type must be one of"),
        ("{name: d, start: 1, length: 29, lenght: 3}", r"unknown field key\(s\) \['lenght'\]"),
        ("{name: d, start: 1, length: 29, type: int}", "numbers are at most 18 characters"),
        ("{name: d, start: 1, length: 29, implied_decimals: 2}", "implied_decimals only applies to decimal"),
        ("{name: ingestion_date, start: 1, length: 29}", "reserved"),
        ("{name: d, start: 0, length: 29}", r"start \(1-based\) must be an integer >= 1"),
    ],
)
def test_field_definitions_are_checked(tmp_path: Path, field: str, message: str) -> None:
    path = _layout(tmp_path, f"- {field}\n")
    with pytest.raises(LayoutError, match=rf"layout 'sample', field '(d|ingestion_date)': .*{message}"):
        load_layout(path)


def test_header_fields_are_checked_like_the_record(tmp_path: Path) -> None:
    header = """header:
          match: HDR
          fields:
            - {name: tipo, start: 1, length: 3}
            - {name: data, start: 5, length: 8, type: date, format: "%Y%m%d"}"""
    path = _layout(tmp_path, "- {name: a, start: 1, length: 29}\n", extra=header)
    with pytest.raises(LayoutError, match=r"field 'data': header: gap at positions 4-4 after field 'tipo'"):
        load_layout(path)


def test_the_file_name_must_be_the_layout_name(tmp_path: Path) -> None:
    path = _layout(tmp_path, "- {name: a, start: 1, length: 29}\n")
    path.rename(tmp_path / "other.yml")
    with pytest.raises(LayoutError, match=r"must be named sample\.yml"):
        load_layout(tmp_path / "other.yml")


def test_file_names_find_their_layout_case_insensitively() -> None:
    assert layout_for_filename("CONTRATOS_20240115.TXT").name == "contracts"
    assert layout_for_filename("planos_20240115.txt").name == "plan_catalog"
    with pytest.raises(UnknownLayoutError, match=r"no positional layout matches the file name 'notes\.txt'"):
        layout_for_filename("notes.txt")


def test_a_name_matching_two_layouts_is_refused(tmp_path: Path) -> None:
    for name in ("one", "two"):
        _write(
            tmp_path,
            name,
            f"name: {name}\nfile_pattern: 'X_*.TXT'\nrecord_length: 2\nfields:\n  - {{name: a, start: 1, length: 2}}\n",
        )
    with pytest.raises(UnknownLayoutError, match=r"matches several layouts \['one', 'two'\]"):
        layout_for_filename("X_1.TXT", load_layouts(tmp_path))


def test_bronze_tables_dbt_sources_and_gold_contract_derive_from_the_layouts() -> None:
    layouts = load_layouts()
    tables = {table.name: table for table in positional_bronze_tables()}
    assert set(tables) == {f"positional_{name}" for name in layouts}
    contracts = tables["positional_contracts"]
    assert contracts.prefix == "bronze/positional/contracts"
    assert contracts.partition_columns == ("ingestion_date",)
    assert contracts.schema.equals(layouts["contracts"].arrow_schema())

    sources = {entry["name"]: entry for entry in dbt_source_tables()}
    columns = {column["name"]: column for column in sources["positional_plan_catalog"]["columns"]}
    assert list(columns) == [
        "id_plano",
        "nome_plano",
        "valor_mensal",
        "_source_file",
        "_source_line",
        "ingestion_date",
    ]
    assert columns["valor_mensal"]["data_type"] == "decimal(10,2)"
    assert columns["id_plano"]["data_tests"] == ["not_null"]
    rendered = yaml.safe_load(render_sources())
    assert rendered["sources"][0]["schema"] == "bronze"
    assert len(rendered["sources"][0]["tables"]) == 7

    assert contract_plans_schema().names == [
        "numero_contrato",
        "plano",
        "descricao",
        "id_plano",
        "nome_plano",
        "valor_mensal",
    ]
