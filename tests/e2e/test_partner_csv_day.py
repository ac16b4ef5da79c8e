"""A landing zone laid out as DESIGN.md says, both dialects, three bad rows: gold equals an independent computation."""

from __future__ import annotations

import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.backend import build_backend
from core.settings import Settings
from orchestration.dispatcher import dispatch_object_created
from orchestration.pipeline import run_day
from tests.support.partner_expectations import expected_salary_averages

pytestmark = [pytest.mark.spark, pytest.mark.slow]
DAY = "2025-04-02"

COMMA_FILE = """id_funcionario,nome,cpf,idade,ativo,salario,data_referencia
1,Ana Luíza,529.982.247-25,30,true,1000.10,2025-03-01
2,Bruno,,30,true,2000.25,2025-03-01
3,Carla,,41,false,3000.00,2025-03-01
4,Diego,,30,true,abc,2025-03-01
5,Érica,,41,false,1500.00,2025-02-01
"""
SEMICOLON_FILE = """id_funcionario;nome;cpf;idade;ativo;salario;data_referencia
10;José Ávila;;30;S;1.234,56;01/03/2025
11;Conceição;;52;N;10.000,01;01/03/2025
12;"Souza; Irmão";;30;S;999,99;01/03/2025
13;Zé;;30;talvez;100,00;01/03/2025
14;Ivo;;52;N;200,00;31/02/2025
"""
CORRECTION_FILE = """id_funcionario,nome,cpf,idade,ativo,salario,data_referencia
2,Bruno,,30,true,2100.25,2025-03-01
"""


def _deliver(lake: Path, relative: str, content: bytes, minute: int) -> Path:
    path = lake / "landing" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = 1_743_580_800 + minute * 60  # 2025-04-02 08:00 UTC plus the delivery minute
    os.utime(path, (stamp, stamp))
    return path


def _gold(lake: Path) -> dict[tuple[int, bool, int, int], tuple[Decimal, int, Decimal]]:
    with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select idade, ativo, ano, mes, salario_medio, funcionarios, salario_total from gold.salary_averages"
        ).fetchall()
    return {(idade, ativo, ano, mes): (average, count, total) for idade, ativo, ano, mes, average, count, total in rows}


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def day_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], dict[str, Any]]:
    lake = tmp_path_factory.mktemp("lake")
    files = [
        _deliver(lake, f"sftp/acme/{DAY}/funcionarios.csv", COMMA_FILE.encode(), 0),
        _deliver(
            lake,
            f"sftp/folha_sul/{DAY}/funcionarios.csv",
            SEMICOLON_FILE.replace("\n", "\r\n").encode("cp1252"),
            1,
        ),
        _deliver(lake, f"sftp/acme/{DAY}/correcao.csv", CORRECTION_FILE.encode(), 2),
    ]
    _deliver(lake, f"sftp/acme/{DAY}/notas.csv", b"id;nota\n1;ok\n", 3)
    report = run_day(build_backend(Settings(lake=lake)), DAY)
    return lake, files, report


def test_gold_equals_an_independent_computation(day_run: tuple[Path, list[Path], dict[str, Any]]) -> None:
    lake, files, report = day_run
    # notas.csv is quarantined whole: the run fails and names it, but the good files still reach gold.
    assert report["status"] == "failed", report
    [error] = report["sources"]["partner_csv"]["errors"]
    assert error.startswith(f"landing/sftp/acme/{DAY}/notas.csv: quarantined whole:")
    assert not report["sources"]["partner_csv"]["crashed"]
    assert [item["table"] for item in report["gold"] if item["table"] == "gold.salary_averages"]
    expected = expected_salary_averages(files)
    assert _gold(lake) == expected
    # Bruno's correction replaced 2000.25
    assert expected[(30, True, 2025, 3)] == (Decimal("1333.73"), 4, Decimal("5334.90"))


def test_bad_rows_and_the_bad_file_are_quarantined_and_counted(
    day_run: tuple[Path, list[Path], dict[str, Any]],
) -> None:
    lake, _files, report = day_run
    summary = report["sources"]["partner_csv"]
    assert summary["files"] == 4
    assert summary["files_quarantined"] == 1
    assert summary["rows_read"] == 5 + 5 + 1 + 1
    assert summary["rows_landed"] == 8
    assert summary["rows_quarantined"] == 4
    assert summary["rows_read"] == summary["rows_landed"] + summary["rows_quarantined"]
    assert summary["quarantined_by_reason"] == {
        "salario:not_a_decimal": 1,
        "ativo:not_a_boolean": 1,
        "data_referencia:not_a_date_ddMMyyyy": 1,
        "file:rejected": 1,
    }
    on_disk = json.loads((lake / "reports" / f"run-{DAY}.json").read_text())
    assert on_disk["sources"]["partner_csv"]["rows_quarantined"] == 4
    with duckdb.connect() as connection:
        rejected = connection.execute(
            f"select source_file, source_line, reason from read_parquet('{lake}/quarantine/partner_csv/{DAY}/rows/*.parquet') order by all"
        ).fetchall()
    assert rejected == [
        (f"landing/sftp/acme/{DAY}/funcionarios.csv", 5, "salario: not a decimal 'abc'"),
        (f"landing/sftp/folha_sul/{DAY}/funcionarios.csv", 5, "ativo: not a boolean 'talvez'"),
        (
            f"landing/sftp/folha_sul/{DAY}/funcionarios.csv",
            6,
            "data_referencia: not a date ddMMyyyy '31/02/2025'",
        ),
    ]
    reason = json.loads(
        (lake / "quarantine" / "partner_csv" / DAY / "files" / "acme~~notas.csv" / "reason.json").read_text()
    )
    assert "line 1 is data, not a header" in reason["reason"]


def test_rerun_and_repeated_events_change_nothing(day_run: tuple[Path, list[Path], dict[str, Any]]) -> None:
    lake, files, first_report = day_run
    gold_before = _tree_digest(lake / "gold" / "salary_averages")
    bronze_before = _tree_digest(lake / "bronze")
    repeated = dispatch_object_created(build_backend(Settings(lake=lake)), f"landing/sftp/acme/{DAY}/funcionarios.csv")
    assert repeated[0]["action"] == "duplicate"

    second_report = run_day(build_backend(Settings(lake=lake)), DAY)

    assert second_report["status"] == first_report["status"] == "failed"  # notas.csv is still the bad file
    assert second_report["sources"] == first_report["sources"]
    assert _tree_digest(lake / "gold" / "salary_averages") == gold_before
    assert _tree_digest(lake / "bronze") == bronze_before
    assert _gold(lake) == expected_salary_averages(files)
