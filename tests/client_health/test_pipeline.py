"""A client-files day end to end (handler, gate, Glue job, dbt, write-audit-publish): gold.client_health's
guarantees, reruns that change nothing, and a failing dbt test that leaves the published gold alone."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from core.backend import build_backend
from core.calendar import SAO_PAULO
from core.gate import LocalDayGate
from core.layout import LakeLayout
from core.settings import Settings
from ingestion.client_health.contract import bronze_key, delivered_schema
from ingestion.client_health.landing import day_status
from ingestion.client_health.pseudonym import pseudonymous_id
from ingestion.client_health.quality import client_health_quality
from ingestion.client_health.sample_data import STATES, generate_tables, write_tables
from ingestion.cpf import format_cpf, generate_cpf
from jobs import dbt as dbt_runner
from orchestration.cli import app
from orchestration.pipeline import run_day
from serving.dashboard import write_dashboard
from tests.dashboard.page_data import embedded_data

pytestmark = [pytest.mark.slow, pytest.mark.spark]
DAY = "2025-03-10"
KEY = "pipeline-test-key"
_cpfs = random.Random(99)
CPF_A, CPF_B, CPF_C, CPF_D = (generate_cpf(_cpfs, punctuated=False) for _ in range(4))


def _epoch_ms(local: str) -> int:
    return int(dt.datetime.fromisoformat(local).replace(tzinfo=SAO_PAULO).timestamp() * 1000)


def _crafted(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Records whose fate is known: duplicates across formats, a tie, titles, accents, nulls, bad rows."""
    base = {"pais": "Brasil", "logradouro": "Rua das Flores", "bairro": "Centro", "sexo": "Fem"}
    parquet = [
        {**base, "documento_cpf": format_cpf(CPF_A), "nome_completo": "Sra. Maria  José da Silva", "data_nascimento": "1985-05-20",
         "data_cadastro": "2024-01-01T10:00:00", "uf": "sp", "numero": 10, "cidade": "São Paulo", "convenio": "Unimed"},
        {**base, "documento_cpf": format_cpf(CPF_B), "nome_completo": "Dr. João Pedro", "data_nascimento": "1970-01-31",
         "data_cadastro": "2024-02-02T12:00:00", "sexo": "Masc", "uf": "MG", "numero": 5, "cidade": "Belo Horizonte",
         "convenio": "Amil"},
        {**base, "documento_cpf": "111.111.111-11", "nome_completo": "Zé Ninguém", "data_nascimento": "1990-01-01",
         "data_cadastro": "2024-01-01T10:00:00", "uf": "SP", "numero": 1, "cidade": "Santos", "convenio": "SUS"},
    ]  # fmt: skip
    csv = [
        {"nome": "Dra. Maria José da Silva Souza", "cpf": CPF_A, "data_nascimento": "20/05/1985",
         "data_cadastro": "2024-06-01 09:00:00", "sexo": "Fem", "pais_cadastro": "Brasil", "logradouro": "Avenida Paulista",
         "numero": "1000.0", "bairro": "Bela Vista", "cidade": "Rio de Janeiro", "estado": "RJ", "convenio": "Bradesco Saúde"},
        {"nome": "Carla Dias", "cpf": CPF_C, "data_nascimento": "01/01/1990", "data_cadastro": "2024-06-01 09:00:00",
         "sexo": "Fem", "pais_cadastro": "Brasil", "logradouro": "Rua A", "numero": "12.5", "bairro": "B", "cidade": "Natal",
         "estado": "RN", "convenio": "SUS"},
    ]  # fmt: skip
    json = [
        {**base, "nome": "Maria José", "cpf": format_cpf(CPF_A), "data_nascimento": "May 20, 1985",
         "data_cadastro": _epoch_ms("2023-01-01T08:00:00"), "numero": 3, "cidade": "Recife", "estado": "Pernambuco",
         "convenio": "SUS"},
        {**base, "nome": "João Pedro Alves", "cpf": format_cpf(CPF_B), "data_nascimento": "January 31, 1970",
         "data_cadastro": _epoch_ms("2024-02-02T12:00:00"), "sexo": "Masc", "numero": 9, "cidade": "Curitiba",
         "estado": "Paraná", "convenio": "Hapvida"},
        {"nome": "Srta. Lúcia   Araújo", "cpf": format_cpf(CPF_D), "data_nascimento": "May 20, 1985",
         "data_cadastro": _epoch_ms("2024-03-03T03:03:03"), "sexo": "Fem", "pais": None, "logradouro": None, "numero": None,
         "bairro": None, "cidade": None, "estado": "espírito santo", "convenio": None},
    ]  # fmt: skip
    return {
        "parquet": pa.concat_tables(
            [tables["parquet"], pa.Table.from_pylist(parquet, schema=delivered_schema("parquet"))]
        ),
        "csv": pa.concat_tables([tables["csv"], pa.Table.from_pylist(csv, schema=tables["csv"].schema)]),
        "json": pa.concat_tables(
            [tables["json"], pa.Table.from_pylist(json, schema=delivered_schema("json"))]
        ),
    }


@dataclass
class Lake:
    root: Path
    report: dict[str, Any]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.root / "catalog.duckdb"), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def gold_rows(self) -> dict[str, dict[str, Any]]:
        with duckdb.connect(str(self.root / "catalog.duckdb"), read_only=True) as connection:
            result = connection.execute("SELECT * FROM gold.client_health")
            names = [column[0] for column in result.description or []]
            return {row[0]: dict(zip(names, row, strict=True)) for row in result.fetchall()}


@pytest.fixture(scope="module")
def day_lake(tmp_path_factory: pytest.TempPathFactory, spark: object) -> Iterator[Lake]:
    root = tmp_path_factory.mktemp("client_health_lake")
    folder = root / "landing" / "client_health" / DAY
    write_tables(
        _crafted(generate_tables(400, dt.date.fromisoformat(DAY), seed=21)), folder, json_layout="array"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAKEHOUSE_PSEUDONYM_KEY", KEY)
        report = run_day(build_backend(Settings().for_lake(root)), DAY)
        report["sources"]["client_health"]["quality"] = client_health_quality(LakeLayout.local(root), DAY)
        yield Lake(root, report)


def test_the_day_lands_builds_and_publishes(day_lake: Lake) -> None:
    summary = day_lake.report["sources"]["client_health"]
    assert day_lake.report["status"] == "succeeded", day_lake.report["dbt"]["failures"]
    assert (summary["files"], summary["rows_read"], summary["rows_landed"]) == (3, 408, 408)
    published = {table["table"]: table for table in day_lake.report["gold"]}
    assert published["gold.client_health"]["rows"] == len(day_lake.gold_rows())
    # Hive-partitioned by convenio; values are escaped in folder names (N/A -> N%2FA) and read back whole.
    partitions = {unquote(path.name) for path in (day_lake.root / "gold" / "client_health").iterdir()}
    assert {"convenio=SUS", "convenio=Unimed", "convenio=Bradesco Saude", "convenio=N/A"} <= partitions
    assert {"SUS", "N/A", "Bradesco Saude"} <= {
        convenio for (convenio,) in day_lake.query("SELECT DISTINCT convenio FROM gold.client_health")
    }


def test_gold_guarantees(day_lake: Lake) -> None:
    rows = day_lake.gold_rows()
    for column in ("cpf", "logradouro", "bairro", "cidade"):
        offending = day_lake.query(
            f"SELECT {column} FROM gold.client_health WHERE regexp_matches({column}, '[\\p{{L}}\\p{{N}}]')"
        )
        assert offending == [], column
    valid_cpfs = [
        cpf
        for (cpf,) in day_lake.query(
            "SELECT DISTINCT cpf FROM silver.int_client_health__clientes_checked WHERE rejection_reason IS NULL"
        )
    ]
    assert len(rows) == len(valid_cpfs)  # one row per CPF, ids unique (dict keys)
    assert set(rows) == {
        pseudonymous_id(KEY, cpf) for cpf in valid_cpfs
    }  # the id depends on key and CPF only
    assert {row["estado"] for row in rows.values()} <= {uf for uf, _name, _city in STATES}
    assert all(
        not any(char in "ãçéíóúâêôõáà" for char in row["nome_completo"].lower()) for row in rows.values()
    )


def test_the_latest_registration_wins_and_values_are_cleaned(day_lake: Lake) -> None:
    rows = day_lake.gold_rows()
    maria = rows[pseudonymous_id(KEY, CPF_A)]  # parquet 2024-01, csv 2024-06 (wins), json 2023
    assert (maria["nome_completo"], maria["estado"], maria["convenio"]) == (
        "Maria Jose da Silva Souza",
        "RJ",
        "Bradesco Saude",
    )
    assert maria["data_cadastro"] == dt.datetime(2024, 6, 1, 9, 0)
    assert (maria["cpf"], maria["cidade"], maria["numero"]) == ("***.***.***-**", "* * *", 1000)
    joao = rows[pseudonymous_id(KEY, CPF_B)]  # parquet and json at the same instant: parquet wins the tie
    assert (joao["nome_completo"], joao["estado"], joao["convenio"], joao["sexo"]) == (
        "Joao Pedro",
        "MG",
        "Amil",
        "M",
    )
    lucia = rows[pseudonymous_id(KEY, CPF_D)]  # JSON only: state by name, English date, nulls defaulted
    assert (lucia["nome_completo"], lucia["estado"], lucia["data_nascimento"]) == (
        "Lucia Araujo",
        "ES",
        dt.date(1985, 5, 20),
    )
    assert (lucia["logradouro"], lucia["bairro"], lucia["cidade"], lucia["numero"], lucia["convenio"]) == (
        "*/*", "*/*", "*/*", 0, "N/A",
    )  # fmt: skip
    assert lucia["data_cadastro"] == dt.datetime(2024, 3, 3, 3, 3, 3)


def test_failing_rows_are_quarantined_counted_and_kept_out_of_gold(day_lake: Lake) -> None:
    quality = day_lake.report["sources"]["client_health"]["quality"]
    reasons = quality["quarantined_by_reason"]
    assert reasons["cpf:repeated_digits"] >= 1 and reasons["numero:not_a_whole_number"] == 1
    assert quality["rows_checked"] == 408 and quality["rows_quarantined"] == sum(reasons.values())
    rejected = day_lake.root / quality["quarantine_file"]
    assert duckdb.sql(f"SELECT count(*) FROM '{rejected}'").fetchone() == (quality["rows_quarantined"],)
    gold_ids = set(day_lake.gold_rows())
    assert pseudonymous_id(KEY, "11111111111") not in gold_ids
    assert pseudonymous_id(KEY, CPF_C) not in gold_ids  # its only record was rejected


def test_the_dashboard_shows_the_day(day_lake: Lake) -> None:
    page = write_dashboard(day_lake.root, DAY, day_lake.report).read_text(encoding="utf-8")
    for chart in ("registrations_per_year", "convenio_without_sus", "by_sex", "top_states"):
        assert f"data-chart='{chart}'" in page
    clients = embedded_data(page)["datasets"]["clients"]
    assert sum(row[-1] for row in clients["rows"]) == len(day_lake.gold_rows())  # every gold client, counted
    assert "numero:not_a_whole_number" in page


def test_a_rerun_changes_nothing(day_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_PSEUDONYM_KEY", KEY)
    link = day_lake.root / "gold" / "client_health"
    bronze = day_lake.root / bronze_key("json", DAY)
    before, ids, landed = os.readlink(link), set(day_lake.gold_rows()), bronze.stat().st_mtime_ns
    job_run = day_status(LocalDayGate(day_lake.root), DAY).run_id
    report = run_day(build_backend(Settings().for_lake(day_lake.root)), DAY)
    assert report["status"] == "succeeded"
    assert day_status(LocalDayGate(day_lake.root), DAY).run_id == job_run  # the gate did not reopen
    assert bronze.stat().st_mtime_ns == landed
    assert os.readlink(link) == before  # content-addressed version: the same bytes
    assert set(day_lake.gold_rows()) == ids


def test_a_failing_dbt_test_leaves_the_published_gold_unchanged(
    day_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(
        dbt_runner.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    (project / "tests" / "assert_no_client_in_sao_paulo.sql").write_text(
        "select id from {{ ref('client_health') }} where estado = 'SP'\n"
    )
    monkeypatch.setattr(dbt_runner, "DBT_PROJECT_DIR", project)
    monkeypatch.setenv("LAKEHOUSE_PSEUDONYM_KEY", KEY)
    link = day_lake.root / "gold" / "client_health"
    before, rows = os.readlink(link), day_lake.gold_rows()

    result = CliRunner().invoke(app, ["run", "--lake", str(day_lake.root), "--date", DAY])

    assert result.exit_code == 1
    assert "assert_no_client_in_sao_paulo" in result.output
    assert os.readlink(link) == before
    assert day_lake.gold_rows() == rows
