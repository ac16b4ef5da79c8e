"""The client-health macros' SQL: DuckDB results checked directly, the Athena variants checked for
agreement (remove_accents), shape and syntax."""

from __future__ import annotations

import datetime as dt
import unicodedata

import duckdb
import pyarrow as pa
import sqlglot

from tests.client_health.dbt_macros import macros, sql

DUCKDB = macros("duckdb")
ATHENA = macros("athena")


def _select(expression: str, values: list[object], type_: pa.DataType | None = None) -> list[object]:
    rows = pa.table({"v": pa.array(values, type=type_)})  # noqa: F841 (scanned by DuckDB by name)
    with duckdb.connect() as connection:
        return [row[0] for row in connection.execute(f"SELECT {expression} FROM rows").fetchall()]


def _nfd_without_marks(text: str) -> str:
    """What Athena's regexp_replace(normalize(x, NFD), '\\p{Mn}', '') computes."""
    return "".join(char for char in unicodedata.normalize("NFD", text) if unicodedata.category(char) != "Mn")


def test_remove_accents_is_the_same_on_duckdb_and_athena() -> None:
    assert sql(ATHENA.remove_accents("x")) == "regexp_replace(normalize(x, NFD), '\\p{Mn}', '')"
    latin = [chr(code) for code in [*range(0xA0, 0x250), *range(0x1E00, 0x1F00)]]
    names = [
        "São João",
        "Conceição",
        "Açaí",
        "Ñandú",
        "Ångström",
        "a\u0301gua",
        "Müller-Lüdenscheidt",
        "ß Ø ł Æ",
    ]
    values = [*latin, *names]
    duckdb_result = _select(sql(DUCKDB.remove_accents("v")), values)
    assert duckdb_result == [_nfd_without_marks(value) for value in values]
    assert duckdb_result[-8:-4] == ["Sao Joao", "Conceicao", "Acai", "Nandu"]


def test_names_lose_titles_and_repeated_spaces() -> None:
    cases = {
        "Sr. João  da Silva": "João da Silva",
        "Sra. Maria José": "Maria José",
        "srta. Ana\u00a0 Clara": "Ana Clara",
        "Dr.Pedro Álvares": "Pedro Álvares",
        "Sr. Dr. Paulo": "Paulo",
        "DRA. Luíza   Souza ": "Luíza Souza",
        "Isidro Sramos": "Isidro Sramos",  # "Sr" inside a word is not a title
        "  ": None,
        None: None,
    }
    assert _select(sql(DUCKDB.clean_person_name("v")), list(cases), pa.string()) == list(cases.values())


def test_mask_leaves_no_letter_or_digit_nor_word_lengths() -> None:
    values = ["Rua São João, 12-B", "N/A", "529.982.247-25", "Praça Ação 7º"]
    masked = _select(sql(DUCKDB.mask("v")), values)
    assert masked == ["* * *, *-*", "*/*", "*.*.*-*", "* * *"]
    assert not any(char.isalnum() for text in masked for char in str(text))


def test_each_format_parses_its_own_dates() -> None:
    iso = _select(sql(DUCKDB.date_from_text("v", "iso")), ["1985-05-20", "1990-13-01", None])
    br = _select(sql(DUCKDB.date_from_text("v", "br")), ["20/05/1985", "31/02/1990", "1985-05-20"])
    english = _select(
        sql(DUCKDB.date_from_text("v", "english")), ["May 20, 1985", "September 5, 1985", "Smarch 1, 1985"]
    )
    day = dt.date(1985, 5, 20)
    assert iso == [day, None, None]
    assert br == [day, None, None]
    assert english == [day, dt.date(1985, 9, 5), None]


def test_timestamps_are_sao_paulo_wall_clock_times() -> None:
    texts = [
        "2024-01-05T10:00:00",
        "2024-01-05 10:00:00",
        "2024-01-05T13:00:00Z",
        "2024-01-05T10:00:00-03:00",
        "x",
    ]
    local = dt.datetime(2024, 1, 5, 10, 0)
    assert _select(sql(DUCKDB.timestamp_from_iso("v")), texts) == [local, local, local, local, None]
    millis = int(dt.datetime(2024, 1, 5, 13, 0, tzinfo=dt.UTC).timestamp() * 1000)
    assert _select(sql(DUCKDB.timestamp_from_epoch_millis("v")), [millis, None]) == [local, None]


def test_sexes_become_f_and_m() -> None:
    values = ["Fem", "Masc", "f", " M ", "Feminino", "x", None]
    assert _select(sql(DUCKDB.sex_code("v")), values, pa.string()) == ["F", "M", "F", "M", "F", None, None]


def test_athena_variants_are_valid_athena_sql() -> None:
    expressions = [
        ATHENA.remove_accents("nome"),
        ATHENA.mask("cidade"),
        ATHENA.clean_person_name("nome"),
        ATHENA.date_from_text("d", "english"),
        ATHENA.timestamp_from_iso("t"),
        ATHENA.timestamp_from_epoch_millis("t"),
        ATHENA.cpf_rejection_reason("cpf_original", "cpf", "cpf_number"),
        ATHENA.cpf_number("cpf"),
    ]
    for expression in expressions:
        sqlglot.parse_one(f"SELECT {sql(expression)} FROM t", read="athena")
    assert "'g'" not in sql(ATHENA.mask("cidade"))  # Athena replaces every match already
