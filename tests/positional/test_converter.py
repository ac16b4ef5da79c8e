"""The streaming converter: encodings, line endings, quarantine with reasons, reconciliation, reruns."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from core.catalog import register_bronze_tables
from core.storage import LocalObjectStore
from ingestion.manifest import read_manifest
from ingestion.positional import converter as converter_module
from ingestion.positional import parse as parse_module
from ingestion.positional.converter import (
    bronze_key,
    convert_file,
    convert_stream,
    landing_key,
    parse_landing_key,
)
from ingestion.positional.layout import load_layouts
from ingestion.positional.reader import LineReader
from ingestion.positional.tables import positional_bronze_tables

DAY = "2024-01-15"
LAYOUTS = load_layouts()
CONTRACTS = [
    "0000000001BASICIndividual0001",
    "0000000002PLENOAdesão    0003",
    "0000000003PREMIFamília   0005",
    "0000000004BASIC          0001",
]


def _land(lake: LocalObjectStore, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> str:
    key = landing_key(DAY, name)
    lake.write_bytes(key, text.replace("\n", newline).encode(encoding))
    return key


def _bronze(lake: LocalObjectStore, layout: str, name: str) -> list[dict[str, Any]]:
    file_id = name  # a file's id is its full name, extension included
    return pq.read_table(lake.path(bronze_key(layout, DAY, file_id))).to_pylist()


def _quarantine(lake: LocalObjectStore, name: str) -> list[dict[str, Any]]:
    file_id = name
    return pq.read_table(lake.path(f"quarantine/positional/{DAY}/rows/{file_id}.parquet")).to_pylist()


@pytest.mark.parametrize(
    ("encoding", "newline"), [("utf-8", "\n"), ("cp1252", "\r\n"), ("latin-1", "\n"), ("utf-8-sig", "\r\n")]
)
def test_utf8_cp1252_latin1_lf_and_crlf_give_the_same_rows(
    lake: LocalObjectStore, encoding: str, newline: str
) -> None:
    key = _land(lake, "CONTRATOS_20240115.TXT", "\n".join(CONTRACTS) + "\n", encoding, newline)

    manifest = convert_file(lake, key)

    assert (manifest.status, manifest.rows_read, manifest.rows_landed, manifest.rows_quarantined) == (
        "landed",
        4,
        4,
        0,
    )
    rows = _bronze(lake, "contracts", "CONTRATOS_20240115.TXT")
    assert [(row["numero_contrato"], row["plano"], row["descricao"], row["id_plano"]) for row in rows] == [
        ("0000000001", "BASIC", "Individual", 1),
        ("0000000002", "PLENO", "Adesão", 3),
        ("0000000003", "PREMI", "Família", 5),
        ("0000000004", "BASIC", None, 1),
    ]
    assert [row["_source_line"] for row in rows] == [1, 2, 3, 4]
    assert {row["_source_file"] for row in rows} == {key}


def test_the_encoding_is_decided_by_the_first_non_ascii_block(tmp_path: Path) -> None:
    # 300 ASCII lines, then accents in cp1252: with 1 KiB blocks the file is "ascii" for many batches.
    lines = ["0000000001BASICIndividual0001"] * 300 + ["0000000002PLENOAdesão    0003"]
    stream = io.BytesIO(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    result = convert_stream(
        LAYOUTS["contracts"], stream, "x", tmp_path / "b.parquet", tmp_path / "q.parquet", block_bytes=1024
    )
    assert (result.rows_read, result.rows_landed, result.encoding) == (301, 301, "cp1252")
    assert pq.read_table(tmp_path / "b.parquet").column("descricao")[-1].as_py() == "Adesão"


def test_trailing_blank_lines_are_ignored_but_a_blank_line_inside_is_quarantined(
    lake: LocalObjectStore,
) -> None:
    text = CONTRACTS[0] + "\n\n" + CONTRACTS[1] + "\n   \n\n\n"
    key = _land(lake, "CONTRATOS_20240115.TXT", text, newline="\r\n")

    manifest = convert_file(lake, key)

    assert (manifest.rows_read, manifest.rows_landed, manifest.rows_quarantined) == (3, 2, 1)
    assert manifest.quarantined_by_reason == {"blank line": 1}
    assert _quarantine(lake, "CONTRATOS_20240115.TXT") == [
        {"line": 2, "raw": "", "reason": "blank line", "field": None, "value": None}
    ]


def test_bad_lines_are_quarantined_with_line_number_raw_line_and_reason(lake: LocalObjectStore) -> None:
    text = "\n".join(
        [
            CONTRACTS[0],
            "0000000002PLENOAdesão 0003",  # too short
            "0000000003PREMIFamília   00X5",  # bad number
            "          BASICIndividual0001",  # required field blank
            CONTRACTS[3],
            "0000000006PLENOAdesão    0003 ",  # too long
        ]
    )
    key = _land(lake, "CONTRATOS_20240115.TXT", text + "\n", "cp1252", "\r\n")

    manifest = convert_file(lake, key)

    assert (manifest.rows_read, manifest.rows_landed, manifest.rows_quarantined) == (6, 2, 4)
    assert manifest.rows_read == manifest.rows_landed + manifest.rows_quarantined
    assert manifest.quarantined_by_reason == {
        "wrong record length (expected 29 characters)": 2,
        "id_plano: not an integer": 1,
        "numero_contrato: required value is blank": 1,
    }
    rows = _quarantine(lake, "CONTRATOS_20240115.TXT")
    assert [(row["line"], row["reason"], row["field"], row["value"]) for row in rows] == [
        (2, "wrong record length (expected 29 characters)", None, None),
        (3, "id_plano: not an integer", "id_plano", "00X5"),
        (4, "numero_contrato: required value is blank", "numero_contrato", "          "),
        (6, "wrong record length (expected 29 characters)", None, None),
    ]
    assert rows[0]["raw"] == "0000000002PLENOAdesão 0003"
    assert [row["_source_line"] for row in _bronze(lake, "contracts", "CONTRATOS_20240115.TXT")] == [1, 5]


def test_dates_decimals_and_signed_numbers(lake: LocalObjectStore) -> None:
    layout = LAYOUTS["payments"]
    lines = [
        "HDR20240115".ljust(58),
        "000000000001000000000120240120240105000000012345PIX       ",
        "000000000002000000000220240120240231000000012345PIX       ",  # 31 February
        "000000000003000000000320241320240105000000012345PIX       ",  # month 13 in competencia
        "000000000004000000000420240120240105-00000001234BOLETO    ",  # negative amount
        "000000000005000000000520240120240105      123456BOLETO    ",  # space-padded amount
        "000000000006000000000620240100000000000000012345PIX       ",  # zeros are not a date
        "000000000007000000000720240120240105000000012345          ",  # optional text blank -> null
        "TRL000000007".ljust(58),
    ]
    key = _land(lake, "PAGAMENTOS_20240115.TXT", "\n".join(lines) + "\n")

    manifest = convert_file(lake, key)

    assert manifest.status == "landed"
    assert manifest.quarantined_by_reason == {
        "data_pagamento: not a valid date in format %Y%m%d": 2,
        "competencia: not a valid date in format %Y%m": 1,
    }
    rows = {row["id_pagamento"]: row for row in _bronze(lake, "payments", "PAGAMENTOS_20240115.TXT")}
    assert rows["000000000001"]["competencia"] == dt.date(2024, 1, 1)
    assert rows["000000000001"]["data_pagamento"] == dt.date(2024, 1, 5)
    assert rows["000000000001"]["valor_pago"] == Decimal("123.45")
    assert rows["000000000004"]["valor_pago"] == Decimal("-12.34")
    assert rows["000000000005"]["valor_pago"] == Decimal("1234.56")
    assert rows["000000000007"]["forma_pagamento"] is None
    assert layout.trailer is not None


def _payments(details: list[str], header: str | None = "HDR20240115", trailer: str | None = None) -> str:
    lines = ([header.ljust(58)] if header else []) + details
    if trailer is not None:
        lines.append(trailer.ljust(58))
    return "\n".join(lines) + "\n"


PAYMENT = "000000000001000000000120240120240105000000012345PIX       "


def test_the_stream_result_carries_header_trailer_and_trailing_blanks(tmp_path: Path) -> None:
    text = _payments([PAYMENT], trailer="TRL000000001") + "\n\n"
    result = convert_stream(
        LAYOUTS["payments"], io.BytesIO(text.encode()), "x", tmp_path / "b.parquet", tmp_path / "q.parquet"
    )
    assert result.header == {"tipo_registro": "HDR", "data_geracao": dt.date(2024, 1, 15)}
    assert result.trailer == {"tipo_registro": "TRL", "quantidade_registros": 1}
    assert (result.rows_read, result.trailing_blank_lines, result.file_problem) == (1, 2, None)


def test_a_trailer_count_that_disagrees_rejects_the_whole_file(lake: LocalObjectStore) -> None:
    key = _land(
        lake,
        "PAGAMENTOS_20240115.TXT",
        _payments([PAYMENT, PAYMENT.replace("01P", "02P")], trailer="TRL000000003"),
    )

    manifest = convert_file(lake, key)

    assert manifest.status == "quarantined"
    assert manifest.reason == "trailer quantidade_registros says 3 records, the file has 2"
    assert (manifest.rows_read, manifest.rows_landed, manifest.rows_quarantined) == (2, 0, 2)
    assert not lake.exists(bronze_key("payments", DAY, "PAGAMENTOS_20240115.TXT"))
    reason = json.loads(lake.read_bytes(f"quarantine/positional/{DAY}/files/PAGAMENTOS_20240115.TXT/reason.json"))
    assert reason["reason"] == manifest.reason
    assert lake.exists(f"quarantine/positional/{DAY}/files/PAGAMENTOS_20240115.TXT/PAGAMENTOS_20240115.TXT")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (_payments([PAYMENT]), "the last record (line 2) is not a trailer record ('TRL')"),
        (_payments([PAYMENT], header=None, trailer="TRL000000001"), "line 1 is not a header record ('HDR')"),
        (
            _payments([PAYMENT], header="HDR20241332", trailer="TRL000000001"),
            "header record (line 1): data_geracao: not a valid date",
        ),
        ("", "empty file: no header record"),
    ],
)
def test_missing_or_broken_header_and_trailer_reject_the_file(
    lake: LocalObjectStore, text: str, reason: str
) -> None:
    manifest = convert_file(lake, _land(lake, "PAGAMENTOS_20240115.TXT", text))
    assert manifest.status == "quarantined"
    assert manifest.reason is not None and manifest.reason.startswith(reason)
    manifest.check()


def test_a_trailer_in_the_middle_of_the_file_is_a_rejected_line(lake: LocalObjectStore) -> None:
    text = _payments(
        [PAYMENT, "TRL000000001".ljust(58), PAYMENT.replace("01P", "03P")], trailer="TRL000000003"
    )
    manifest = convert_file(lake, _land(lake, "PAGAMENTOS_20240115.TXT", text))
    assert manifest.status == "landed"
    assert manifest.quarantined_by_reason == {"misplaced trailer record": 1}
    assert _quarantine(lake, "PAGAMENTOS_20240115.TXT")[0]["line"] == 3


def test_undecodable_bytes_reject_only_their_line(lake: LocalObjectStore) -> None:
    # 0x81 is undefined in cp1252 and invalid in UTF-8.
    data = ("\r\n".join(CONTRACTS[:2]) + "\r\n").encode("cp1252") + b"0000000009BASIC\x81ndividual0001\r\n"
    key = landing_key(DAY, "CONTRATOS_20240115.TXT")
    lake.write_bytes(key, data)

    manifest = convert_file(lake, key)

    assert (manifest.rows_read, manifest.rows_landed) == (3, 2)
    assert manifest.quarantined_by_reason == {"undecodable bytes for encoding cp1252": 1}
    assert _quarantine(lake, "CONTRATOS_20240115.TXT")[0]["raw"] == "0000000009BASIC\\x81ndividual0001"


def test_a_file_matching_no_layout_is_quarantined_whole(lake: LocalObjectStore) -> None:
    manifest = convert_file(lake, _land(lake, "RELATORIO.PDF", "%PDF-1.4"))
    assert manifest.status == "quarantined"
    assert "no positional layout matches the file name 'RELATORIO.PDF'" in (manifest.reason or "")
    assert lake.exists(f"quarantine/positional/{DAY}/files/RELATORIO.PDF/RELATORIO.PDF")


def test_counts_reconcile_in_the_manifest_for_every_sample_file(lake: LocalObjectStore) -> None:
    from ingestion.positional.sample_data import write_sample_day

    for key in write_sample_day(lake, DAY, rows=400, seed=3):
        manifest = convert_file(lake, key)
        stored = read_manifest(lake, "positional", DAY, manifest.file_id)
        assert stored == manifest
        assert manifest.status == "landed", manifest.reason
        assert manifest.rows_read == manifest.rows_landed + manifest.rows_quarantined
        assert sum(manifest.quarantined_by_reason.values()) == manifest.rows_quarantined


def test_characters_outside_cp1252_in_a_utf8_file_count_as_one_position(lake: LocalObjectStore) -> None:
    text = "0000000001BASICŁódź €    0001\n0000000002PLENOΩmega ✓   0003\n"
    manifest = convert_file(lake, _land(lake, "CONTRATOS_20240115.TXT", text))
    assert (manifest.rows_landed, manifest.rows_quarantined) == (2, 0)
    rows = _bronze(lake, "contracts", "CONTRATOS_20240115.TXT")
    assert [row["descricao"] for row in rows] == ["Łódź €", "Ωmega ✓"]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_the_euro_sign_and_quotes_of_cp1252_are_read(lake: LocalObjectStore, encoding: str) -> None:
    text = "0000000003PLENO“Preço” € 0003\n"
    convert_file(lake, _land(lake, "CONTRATOS_20240115.TXT", text, encoding))
    assert _bronze(lake, "contracts", "CONTRATOS_20240115.TXT")[0]["descricao"] == "“Preço” €"


def test_a_rerun_gives_byte_identical_outputs_and_the_block_size_changes_no_row(
    lake: LocalObjectStore,
) -> None:
    kinds = ["Adesão", "PME", "Família", "Empresa", "Coletivo", ""]
    plans = ["BASIC", "PLENO", "PREMI", "SUPER"]
    lines = [
        f"{index:010d}{plans[index * 7 % 4]}{kinds[index * index % 6]:<10}{index % 7:04d}"
        for index in range(5000)
    ]
    lines[1234] = lines[1234][:20]
    key = _land(lake, "CONTRATOS_20240115.TXT", "\n".join(lines) + "\n", "cp1252", "\r\n")
    outputs = [
        bronze_key("contracts", DAY, "CONTRATOS_20240115.TXT"),
        f"quarantine/positional/{DAY}/rows/CONTRATOS_20240115.TXT.parquet",
    ]
    outputs.append(f"reports/manifests/positional/{DAY}/CONTRATOS_20240115.TXT.json")

    convert_file(lake, key)
    first = [lake.read_bytes(output) for output in outputs]
    convert_file(lake, key)
    assert [lake.read_bytes(output) for output in outputs] == first

    rows = [pq.read_table(lake.path(output)).to_pylist() for output in outputs[:2]]
    convert_file(lake, key, block_bytes=997)
    assert [pq.read_table(lake.path(output)).to_pylist() for output in outputs[:2]] == rows
    assert lake.read_bytes(outputs[2]) == first[2]


def test_a_corrected_redelivery_removes_the_stale_quarantine(lake: LocalObjectStore) -> None:
    key = _land(lake, "CONTRATOS_20240115.TXT", CONTRACTS[0] + "\nshort\n")
    convert_file(lake, key)
    assert lake.exists(f"quarantine/positional/{DAY}/rows/CONTRATOS_20240115.TXT.parquet")
    _land(lake, "CONTRATOS_20240115.TXT", CONTRACTS[0] + "\n")
    manifest = convert_file(lake, key)
    assert manifest.rows_quarantined == 0
    assert not lake.exists(f"quarantine/positional/{DAY}/rows/CONTRATOS_20240115.TXT.parquet")


def test_memory_is_bounded_by_the_block_size_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is read in blocks and parsed in batches of at most a block's lines."""
    lines = 20_000
    payload = ("0000000001BASICIndividual0001\n" * lines).encode()
    reads: list[int] = []
    batch_sizes: list[int] = []

    class RecordingStream(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(-1 if size is None else size)
            return super().read(size)

    real_parse = parse_module.parse_records

    def recording_parse(layout, batch, rows, *args, **kwargs):  # type: ignore[no-untyped-def]
        batch_sizes.append(len(rows))
        return real_parse(layout, batch, rows, *args, **kwargs)

    monkeypatch.setattr(converter_module, "parse_records", recording_parse)
    monkeypatch.setattr(converter_module, "ROW_GROUP_ROWS", 4096)
    block = 16 * 1024
    result = convert_stream(
        LAYOUTS["contracts"],
        RecordingStream(payload),
        "x",
        tmp_path / "b.parquet",
        tmp_path / "q.parquet",
        block,
    )

    assert result.rows_landed == lines
    assert set(reads) == {block}  # never "read everything"
    assert len(batch_sizes) >= len(payload) // block
    assert max(batch_sizes) <= block // 30 + 1
    assert (
        pq.ParquetFile(tmp_path / "b.parquet").metadata.num_row_groups == 5
    )  # 4096-row groups, not one table


def test_a_line_longer_than_the_limit_is_rejected_without_being_held(tmp_path: Path) -> None:
    payload = b"0000000001BASICIndividual0001\n" + b"9" * 50_000 + b"\n0000000002BASICIndividual0001\n"
    reader = LineReader(io.BytesIO(payload), block_bytes=4096, max_line_bytes=8192)
    batches = list(reader)
    rejected = [(batch.first_line, reason) for batch in batches for reason in batch.rejected.values()]
    assert rejected == [(2, "line longer than 8192 bytes")]
    assert sum(len(batch) for batch in batches) == 3


def test_landing_keys_are_checked() -> None:
    assert parse_landing_key("landing/positional/2024-01-15/CONTRATOS.TXT").day == "2024-01-15"
    with pytest.raises(ValueError, match="not a YYYY-MM-DD day"):
        parse_landing_key("landing/positional/15-01-2024/CONTRATOS.TXT")
    with pytest.raises(ValueError, match="not a positional landing key"):
        parse_landing_key("landing/sftp/acme/2024-01-15/x.csv")


def test_bronze_tables_are_queryable_in_the_catalog(lake: LocalObjectStore, tmp_path: Path) -> None:
    from ingestion.positional.sample_data import write_sample_day

    for key in write_sample_day(lake, DAY, rows=50, seed=1):
        convert_file(lake, key)
    catalog = tmp_path / "catalog.duckdb"
    register_bronze_tables(catalog, lake.root, positional_bronze_tables())
    with duckdb.connect(str(catalog)) as connection:
        total, plans = connection.execute(
            "select count(*), count(distinct p.id_plano) from bronze.positional_contracts c "
            "join bronze.positional_plan_catalog p using (id_plano) where c.ingestion_date = ?",
            [DAY],
        ).fetchone()  # type: ignore[misc]
        assert total > 40 and plans > 1
        basic = connection.execute(
            "select distinct c.plano, p.nome_plano from bronze.positional_contracts c "
            "join bronze.positional_plan_catalog p using (id_plano) where p.id_plano = 1"
        ).fetchall()
        assert basic == [("BASIC", "BASICO")]
