"""Partners upload with the real OpenSSH client; the daily run turns that into gold rows and MySQL rows."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from pydantic import SecretStr

from core.backend import build_backend
from core.layout import LakeLayout
from core.settings import Settings
from orchestration.pipeline import run_day
from serving.mysql import EMPLOYEES_TABLE, parse_mysql_url
from tests.sftp.conftest import Endpoint
from tests.support.mariadb import mariadb_server, mariadb_url
from tests.support.requirements import require_executable

pytestmark = [pytest.mark.servers, pytest.mark.spark, pytest.mark.slow]
__all__ = ["mariadb_server", "mariadb_url"]
DAY = "2025-03-10"

COMMA_FILE = """id_funcionario,nome,cpf,idade,ativo,salario,data_referencia
1,Ana,529.982.247-25,30,true,1000.00,2025-03-01
2,Bruno,,30,true,2000.00,2025-03-01
3,Carla,,41,false,3000.00,2025-03-01
"""
SEMICOLON_FILE = """id_funcionario;nome;cpf;idade;ativo;salario;data_referencia
10;José Ávila;;30;S;1.234,56;01/03/2025
11;Conceição;;52;N;10.000,01;01/03/2025
"""


def test_uploads_end_as_gold_rows_and_mysql_rows_after_the_daily_run(
    endpoint: Endpoint, mariadb_url: str
) -> None:
    require_executable("java", "install a Java 17 runtime (apt-get install -y openjdk-17-jre-headless)")
    (endpoint.workdir / "funcionarios.csv").write_bytes(COMMA_FILE.encode())
    (endpoint.workdir / "folha.csv").write_bytes(SEMICOLON_FILE.replace("\n", "\r\n").encode("cp1252"))
    acme = endpoint.run("acme", [f"put funcionarios.csv /{DAY}/funcionarios.csv"])
    beta = endpoint.run("beta", [f"mkdir /{DAY}", f"put folha.csv /{DAY}/folha.csv"])
    assert acme.returncode == 0 and beta.returncode == 0, acme.stderr + beta.stderr
    assert endpoint.uploads == [
        f"landing/sftp/acme/{DAY}/funcionarios.csv",
        f"landing/sftp/beta/{DAY}/folha.csv",
    ]
    landed = endpoint.lake / "landing" / "sftp" / "beta" / DAY / "folha.csv"
    assert landed.read_bytes() == (endpoint.workdir / "folha.csv").read_bytes()  # cp1252 and CRLF untouched

    connection = parse_mysql_url(mariadb_url).connect()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS `{EMPLOYEES_TABLE.name}`")
    connection.close()

    report = run_day(build_backend(Settings(lake=endpoint.lake, mysql_url=SecretStr(mariadb_url))), DAY)

    assert report["status"] == "succeeded", report
    summary = report["sources"]["partner_csv"]
    assert (summary["files"], summary["rows_read"], summary["rows_landed"], summary["rows_quarantined"]) == (
        2,
        5,
        5,
        0,
    )
    with duckdb.connect(str(LakeLayout.local(endpoint.lake).catalog_path), read_only=True) as connection:
        gold = connection.execute(
            "select idade, ativo, ano, mes, salario_medio, funcionarios"
            " from gold.salary_averages order by all"
        ).fetchall()
    assert gold == [
        (30, True, 2025, 3, Decimal("1411.52"), 3),
        (41, False, 2025, 3, Decimal("3000.00"), 1),
        (52, False, 2025, 3, Decimal("10000.01"), 1),
    ]

    mysql = report["publications"]["mysql"]
    assert (mysql["status"], mysql["rows"], mysql["table"]) == ("published", 5, EMPLOYEES_TABLE.name)
    password = parse_mysql_url(mariadb_url).password.get_secret_value()
    assert password and password not in (endpoint.lake / "reports" / f"run-{DAY}.json").read_text()
    connection = parse_mysql_url(mariadb_url).connect()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT partner, id_funcionario, nome, cpf_mascarado, salario FROM `{EMPLOYEES_TABLE.name}`"
            " ORDER BY partner, id_funcionario"
        )
        rows = cursor.fetchall()
    connection.close()
    assert rows == (
        ("acme", 1, "Ana", "***.982.247-**", Decimal("1000.00")),
        ("acme", 2, "Bruno", None, Decimal("2000.00")),
        ("acme", 3, "Carla", None, Decimal("3000.00")),
        ("beta", 10, "José Ávila", None, Decimal("1234.56")),
        ("beta", 11, "Conceição", None, Decimal("10000.01")),
    )
