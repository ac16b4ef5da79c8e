"""What the page embeds from the published gold views: small aggregates, never a client row.

Each dataset is the finest grain the page's filters need (client counts per registration day,
convenio, sex and UF; salary sums per month; contracts per plan; contracts per seller and month), so
the browser can filter and re-aggregate without anything that identifies a person. Gold is already
masked; grouping keeps even the masked columns out of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb


@dataclass(frozen=True)
class Dataset:
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    missing: str = ""  # why there is no data (table not published yet, no catalog)

    def as_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows, "missing": self.missing}


def _salary_sql(columns: set[str]) -> str:
    # salario_total (the additive sum) is the contract; older gold only has the per-group average.
    total = "salario_total" if "salario_total" in columns else "salario_medio * funcionarios"
    return f"""select ano, mes, sum({total}) as salario_total, sum(funcionarios) as funcionarios
               from gold.salary_averages group by ano, mes order by ano, mes"""


@dataclass(frozen=True)
class Query:
    table: str  # in schema gold
    columns: list[str]
    sql: Callable[[set[str]], str]  # from the columns the published table has


QUERIES: dict[str, Query] = {
    "clients": Query(
        "client_health",
        ["data", "convenio", "sexo", "uf", "clientes"],
        lambda _: (
            """select strftime(cast(data_cadastro as date), '%Y-%m-%d') as data, convenio, sexo,
                            estado as uf, count(*) as clientes
                     from gold.client_health group by all order by all"""
        ),
    ),
    "salary": Query("salary_averages", ["ano", "mes", "salario_total", "funcionarios"], _salary_sql),
    "plans": Query(
        "contract_plans",
        ["plano", "contratos", "valor_mensal_total"],
        lambda _: (
            """select nome_plano as plano, count(*) as contratos, sum(valor_mensal) as valor_mensal_total
                     from gold.contract_plans group by all order by contratos desc, plano"""
        ),
    ),
    "sellers": Query(
        "seller_contracts",
        ["ano", "mes", "id_vendedor", "vendedor", "contratos", "valor_mensal_total"],
        lambda _: (
            """select ano, mes, id_funcionario_vendedor as id_vendedor, nome_vendedor as vendedor,
                            sum(contratos_assinados) as contratos, sum(valor_mensal_total) as valor_mensal_total
                     from gold.seller_contracts group by all order by all"""
        ),
    ),
}


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = connection.execute(
        "select column_name from information_schema.columns where table_schema = 'gold' and table_name = ?",
        [table],
    ).fetchall()
    return {str(row[0]) for row in rows}


def read_gold(catalog_path: Path) -> dict[str, Dataset]:
    """Every dataset of the page; a table not published yet gives an empty dataset saying so."""
    if not catalog_path.exists():
        return {
            name: Dataset(query.columns, missing="nenhum catálogo ainda") for name, query in QUERIES.items()
        }
    datasets: dict[str, Dataset] = {}
    with duckdb.connect(str(catalog_path), read_only=True) as connection:
        for name, query in QUERIES.items():
            present = _columns(connection, query.table)
            if not present:
                datasets[name] = Dataset(query.columns, missing=f"gold.{query.table} ainda não publicada")
                continue
            rows = connection.execute(query.sql(present)).fetchall()
            datasets[name] = Dataset(query.columns, [[_plain(value) for value in row] for row in rows])
    return datasets
