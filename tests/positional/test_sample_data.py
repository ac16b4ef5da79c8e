"""The sample day: seven realistic files, deterministic per seed, with a small share of bad lines."""

from __future__ import annotations

from core.storage import LocalObjectStore
from ingestion.positional.converter import convert_file
from ingestion.positional.sample_data import BAD_LINE_SHARE, write_sample_day

DAY = "2024-01-15"


def test_the_same_seed_writes_the_same_bytes(lake: LocalObjectStore, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = LocalObjectStore(tmp_path / "other")
    keys = write_sample_day(lake, DAY, rows=50, seed=4)
    assert write_sample_day(other, DAY, rows=50, seed=4) == keys
    assert [lake.read_bytes(key) for key in keys] == [other.read_bytes(key) for key in keys]
    write_sample_day(other, DAY, rows=50, seed=5)
    assert [lake.read_bytes(key) for key in keys] != [other.read_bytes(key) for key in keys]


def test_the_files_look_like_real_deliveries(lake: LocalObjectStore) -> None:
    keys = write_sample_day(lake, DAY, rows=300, seed=1)
    names = sorted(key.rsplit("/", 1)[-1] for key in keys)
    assert names == [
        "BENEFICIARIOS_20240115.TXT",
        "COBERTURAS_20240115.TXT",
        "CONTRATOS_20240115.TXT",
        "PAGAMENTOS_20240115.TXT",
        "PLANOS_20240115.TXT",
        "PRESTADORES_20240115.TXT",
        "SINISTROS_20240115.TXT",
    ]
    contracts = lake.read_bytes(f"landing/positional/{DAY}/CONTRATOS_20240115.TXT")
    assert b"\r\n" in contracts and b"Ades\xe3o" in contracts  # cp1252, CRLF
    beneficiaries = lake.read_bytes(f"landing/positional/{DAY}/BENEFICIARIOS_20240115.TXT")
    assert beneficiaries.startswith(b"HDR20240115") and beneficiaries.endswith(b"\n\n\n")
    assert "Ressonância magnética".encode() in lake.read_bytes(
        f"landing/positional/{DAY}/COBERTURAS_20240115.TXT"
    )

    text = contracts.decode("cp1252").splitlines()
    plans = {line[10:15] for line in text if len(line) == 29}
    assert {"BASIC", "PLENO", "PREMI"} <= plans


def test_a_small_documented_share_of_lines_is_bad(lake: LocalObjectStore) -> None:
    rows = 1000
    manifests = {
        key.rsplit("/", 1)[-1]: convert_file(lake, key)
        for key in write_sample_day(lake, DAY, rows=rows, seed=9)
    }
    for name in (
        "CONTRATOS_20240115.TXT",
        "BENEFICIARIOS_20240115.TXT",
        "PAGAMENTOS_20240115.TXT",
        "SINISTROS_20240115.TXT",
    ):
        share = manifests[name].rows_quarantined / manifests[name].rows_read
        assert 0 < share < 2 * BAD_LINE_SHARE, (name, share)
    assert manifests["PLANOS_20240115.TXT"].rows_quarantined == 0
    assert manifests["COBERTURAS_20240115.TXT"].rows_quarantined == 0
