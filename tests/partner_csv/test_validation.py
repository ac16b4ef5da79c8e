from __future__ import annotations

import pytest

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
            "missing cpf, ativo, salario, data_referencia",
        ),
        ("landing/sftp/acme/2025-03-01/a.csv", f"{HEADER},extra\n".encode(), "unexpected extra"),
    ],
)
def test_invalid_uploads_name_the_file_and_the_problem(key: str, data: bytes, message: str) -> None:
    with pytest.raises(InvalidUpload) as raised:
        detect_format(key, data, len(data))
    assert key in str(raised.value)
    assert message in str(raised.value)


def test_landing_key_parts() -> None:
    landed = parse_landing_key("landing/sftp/folha_sul/2025-03-01/funcionários março.csv")
    assert (landed.owner, landed.day, landed.name) == ("folha_sul", "2025-03-01", "funcionários março.csv")
    assert landed.file_id.startswith("folha_sul__funcion_rios_mar_o-")
    assert (
        landed.file_id
        != parse_landing_key("landing/sftp/folha_sul/2025-03-01/funcionários_março.csv").file_id
    )
    with pytest.raises(ValueError, match="not a partner upload key"):
        parse_landing_key("landing/sftp/acme/a.csv")
