from __future__ import annotations

import re

import pytest

from core.layout import escape_id_part
from ingestion.partner_csv.contract import COMMA, SEMICOLON, parse_landing_key
from ingestion.partner_csv.validation import CP1252, UTF8, InvalidUpload, detect_format

HEADER = "id_funcionario,nome,cpf,idade,ativo,salario,data_referencia"


def test_comma_dialect_in_utf8() -> None:
    data = f"{HEADER}\n1,João Água,123.456.789-09,30,true,1500.50,2025-01-31\n".encode()
    detected = detect_format("landing/sftp/acme/2025-03-01/a.csv", data, len(data))
    assert detected.dialect is COMMA
    assert detected.encoding == UTF8


def test_semicolon_dialect_in_cp1252() -> None:
    data = (HEADER.replace(",", ";") + "\r\n1;José Ávila;;30;S;1.500,50;31/01/2025\r\n").encode("cp1252")
    detected = detect_format("landing/sftp/acme/2025-03-01/a.csv", data, len(data))
    assert detected.dialect is SEMICOLON
    assert detected.encoding == CP1252


def test_utf8_bom_is_recognised_and_header_still_matches() -> None:
    data = b"\xef\xbb\xbf" + f"{HEADER}\n".encode()
    detected = detect_format("landing/sftp/acme/2025-03-01/a.csv", data, len(data))
    assert (detected.encoding, detected.has_bom) == (UTF8, True)


def test_head_cut_inside_a_multibyte_character_is_still_utf8() -> None:
    data = f"{HEADER}\n1,Conceição".encode()
    cut = data[:-1]  # the last byte of "ã"/"o" boundary chopped, as a 64 KiB head read can do
    assert detect_format("landing/sftp/acme/2025-03-01/a.csv", cut, len(data)).encoding == UTF8


@pytest.mark.parametrize(
    ("key", "data", "message"),
    [
        ("landing/sftp/acme/2025-03-01/a.txt", b"x", "not a .csv file"),
        ("landing/sftp/acme/2025-03-01/a.csv", b"", "empty file"),
        (
            "landing/sftp/acme/2025-03-01/a.csv",
            b"id_funcionario,nome,idade\n",
            "line 1: header lacks required column ativo, salario, data_referencia",
        ),
        (
            "landing/sftp/acme/2025-03-01/a.csv",
            f"{HEADER},idade\n".encode(),
            "line 1: header repeats column idade",
        ),
    ],
)
def test_invalid_uploads_name_the_file_and_the_problem(key: str, data: bytes, message: str) -> None:
    with pytest.raises(InvalidUpload) as raised:
        detect_format(key, data, len(data))
    assert key in str(raised.value)
    assert message in str(raised.value)


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_header_columns_are_matched_by_name_in_any_order(delimiter: str) -> None:
    names = ["Salario", " data_referencia", "ativo", "id_funcionario", "idade", "cpf", "nome"]
    data = (delimiter.join(names) + "\n").encode()
    detected = detect_format("landing/sftp/acme/2025-03-01/a.csv", data, len(data))
    assert detected.dialect.delimiter == delimiter
    assert detected.header.positions == {
        "id_funcionario": 3, "nome": 6, "cpf": 5, "idade": 4, "ativo": 2, "salario": 0, "data_referencia": 1,
    }  # fmt: skip
    assert detected.header.notes() == []


def test_missing_optional_and_unknown_columns_are_reported_not_rejected() -> None:
    data = b"data_referencia,salario,ativo,idade,id_funcionario,setor\n"
    detected = detect_format("landing/sftp/acme/2025-03-01/a.csv", data, len(data))
    assert (detected.header.positions["nome"], detected.header.positions["cpf"]) == (None, None)
    assert detected.header.notes() == [
        "optional column nome missing: null-filled",
        "optional column cpf missing: null-filled",
        "unknown column setor ignored",
    ]


def test_a_headerless_file_is_rejected_without_echoing_its_first_row() -> None:
    data = b"1,Maria da Silva,123.456.789-09,30,true,1500.50,2025-01-31\n"
    with pytest.raises(InvalidUpload) as raised:
        detect_format("landing/sftp/acme/2025-03-01/a.csv", data, len(data))
    message = str(raised.value)
    assert "line 1 is data, not a header" in message
    assert "Maria" not in message and "123.456.789-09" not in message and "1500" not in message


def test_landing_key_parts() -> None:
    landed = parse_landing_key("landing/sftp/folha_sul/2025-03-01/funcionários março.csv")
    assert (landed.owner, landed.day, landed.name) == ("folha_sul", "2025-03-01", "funcionários março.csv")
    assert landed.file_id == "folha_sul~~funcion~C3~A1rios~20mar~C3~A7o.csv"
    with pytest.raises(ValueError, match="not a partner upload key"):
        parse_landing_key("landing/sftp/acme/a.csv")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("landing/sftp/x__y/2025-03-01/z.csv", "landing/sftp/x/2025-03-01/y__z.csv"),
        ("landing/sftp/acme/2025-03-01/extra.CSV", "landing/sftp/acme/2025-03-01/extra.csv"),
        ("landing/sftp/acme/2025-03-01/f.csv", "landing/sftp/acme/2025-03-01/f.xlsx"),
        ("landing/sftp/a~~b/2025-03-01/c.csv", "landing/sftp/a/2025-03-01/b~~c.csv"),
        ("landing/sftp/a/2025-03-01/b c.csv", "landing/sftp/a/2025-03-01/b_c.csv"),
        ("landing/sftp/a/2025-03-01/b~20c.csv", "landing/sftp/a/2025-03-01/b c.csv"),
    ],
)
def test_file_ids_of_different_keys_never_collide(first: str, second: str) -> None:
    assert parse_landing_key(first).file_id != parse_landing_key(second).file_id


def test_file_ids_are_safe_object_names() -> None:
    for name in ("..", ".csv", "a/b", "é?*:.csv"):
        file_id = escape_id_part(name)
        assert re.fullmatch(r"[A-Za-z0-9._~-]+", file_id) and not file_id.startswith(".")
