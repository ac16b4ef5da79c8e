from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from ingestion.partner_csv.contract import COMMA, MAX_FIELD_CHARS, SEMICOLON, Dialect
from ingestion.partner_csv.transforms import bronze_rows, parse_rows, quarantined_rows
from ingestion.partner_csv.validation import header_layout
from ingestion.spark_records import read_text_records

pytestmark = pytest.mark.spark

HEADER = "id_funcionario,nome,cpf,idade,ativo,salario,data_referencia"


def parsed_file(spark: SparkSession, path: Path, encoding: str, dialect: Dialect) -> DataFrame:
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    text = read_text_records(spark, str(path), encoding, quoted=True, skip_header=True)
    header = header_layout(path.read_bytes()[:65536], encoding, dialect)
    return parse_rows(text.records, dialect, header, MAX_FIELD_CHARS, multi_line=text.multi_line_records)


def test_semicolon_cp1252_rows_are_typed_with_exact_line_numbers(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "folha.csv"
    path.write_bytes(
        (
            HEADER.replace(",", ";")
            + "\r\n10;José Ávila;123.456.789-09;34;S;1.234,56;01/03/2025\r\n"
            + "\r\n"
            + '11;"Conceição; Maria";;29;n;100,00;28/02/2025\r\n\r\n'
        ).encode("cp1252")
    )
    rows = parsed_file(spark, path, "windows-1252", SEMICOLON).orderBy("source_line").collect()
    assert [row.source_line for row in rows] == [2, 4]
    first, second = rows
    assert (first.id_funcionario, first.nome, first.idade, first.ativo) == (10, "José Ávila", 34, True)
    assert first.salario == Decimal("1234.56")
    assert first.data_referencia == dt.date(2025, 3, 1)
    assert (second.nome, second.cpf, second.ativo, second.salario) == (
        "Conceição; Maria",
        None,
        False,
        Decimal("100.00"),
    )
    assert first.reason is None and second.reason is None


BAD_LINES = [
    ("1,Ana,,abc,true,10.00,2025-01-01", "idade:not_an_integer", "idade: not an integer 'abc'"),
    ("1,Ana,,130,true,10.00,2025-01-01", "idade:out_of_range_0_120", "idade: out of range 0 120 '130'"),
    ("1,Ana,,30,maybe,10.00,2025-01-01", "ativo:not_a_boolean", "ativo: not a boolean 'maybe'"),
    ("1,Ana,,30,true,10,5,2025-01-01", "line:too_many_fields", "line: too many fields"),
    ("1,Ana,,30,true,dez,2025-01-01", "salario:not_a_decimal", "salario: not a decimal 'dez'"),
    ("1,Ana,,30,true,-5.00,2025-01-01", "salario:negative", "salario: negative '-5.00'"),
    ("1,Ana,,30,true,10.00,2025-02-30", "data_referencia:not_a_date_yyyy-MM-dd", "'2025-02-30'"),
    ("1,Ana,,30,true,10.00,01/02/2025", "data_referencia:not_a_date_yyyy-MM-dd", "'01/02/2025'"),
    ("1,Ana,,30,true,,2025-01-01", "salario:missing_required_field", "salario: missing required field"),
    ("x1,Ana,,30,true,1.00,2025-01-01", "id_funcionario:not_an_integer", "'x1'"),
    ("1,Ana,,30,true", "salario:missing_required_field", "salario: missing required field"),
]


def test_bad_rows_get_a_reason_naming_the_field_and_line(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n" + "\n".join(line for line, _, _ in BAD_LINES) + "\n", encoding="utf-8")
    parsed = parsed_file(spark, path, "UTF-8", COMMA)
    rejected = {
        row.source_line: row
        for row in quarantined_rows(parsed, "landing/sftp/p/2025-01-01/bad.csv").collect()
    }
    assert sorted(rejected) == list(range(2, len(BAD_LINES) + 2))
    for line_number, (line, code, message) in enumerate(BAD_LINES, start=2):
        row = rejected[line_number]
        assert (row.reason_code, row.raw_line) == (code, line)
        assert message in row.reason
    assert bronze_rows(parsed, "p", "k", "2025-01-01T00:00:00Z").count() == 0


def test_valid_and_bad_rows_split_without_loss(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        f"{HEADER}\n1,A,,30,true,1.00,2025-01-01\n2,B,,x,true,1.00,2025-01-01\n3,C,,31,FALSE,2.50,2025-01-02\n",
        encoding="utf-8",
    )
    parsed = parsed_file(spark, path, "UTF-8", COMMA)
    landed = (
        bronze_rows(parsed, "p", "landing/k.csv", "2025-01-03T10:00:00.000Z").orderBy("source_line").collect()
    )
    rejected = quarantined_rows(parsed, "landing/k.csv").collect()
    assert [row.id_funcionario for row in landed] == [1, 3]
    assert [row.source_line for row in rejected] == [3]
    assert landed[1].ativo is False
    assert landed[0].ingested_at == dt.datetime(2025, 1, 3, 10, 0)  # session time zone is UTC
    assert {row.source_file for row in landed} == {"landing/k.csv"}
