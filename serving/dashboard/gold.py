"""What the page embeds from the published gold views: small aggregates, never a client row.

Each dataset is the finest grain the page's filters need (client counts per registration day,
convenio, sex and UF; salary sums per month; contracts per plan; contracts per seller and month), so
the browser can filter and re-aggregate without anything that identifies a person. Gold is already
masked; grouping keeps even the masked columns out of the page.

The SQL is the same on both engines (DuckDB locally, Athena on the aws backend: positional GROUP BY,
casts instead of DuckDB's ``strftime``); Athena returns every value as text, so each column says its type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from core.query import CatalogMissingError, QueryEngine


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


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _integer(value: Any) -> int | None:
    return None if value is None else int(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)  # Decimal locally, text from Athena


@dataclass(frozen=True)
class Query:
    table: str  # in schema gold
    columns: dict[str, Callable[[Any], Any]]  # name -> its value as the page embeds it
    sql: Callable[[set[str]], str]  # from the columns the published table has


QUERIES: dict[str, Query] = {
    "clients": Query(
        "client_health",
        {"data": _text, "convenio": _text, "sexo": _text, "uf": _text, "clientes": _integer},
        lambda _: (
            """select cast(cast(data_cadastro as date) as varchar) as data, convenio, sexo,
                            estado as uf, count(*) as clientes
                     from gold.client_health group by 1, 2, 3, 4 order by 1, 2, 3, 4"""
        ),
    ),
    "salary": Query(
        "salary_averages",
        {"ano": _integer, "mes": _integer, "salario_total": _number, "funcionarios": _integer},
        _salary_sql,
    ),
    "plans": Query(
        "contract_plans",
        {"plano": _text, "contratos": _integer, "valor_mensal_total": _number},
        lambda _: (
            """select nome_plano as plano, count(*) as contratos, sum(valor_mensal) as valor_mensal_total
                     from gold.contract_plans group by 1 order by contratos desc, plano"""
        ),
    ),
    "sellers": Query(
        "seller_contracts",
        {"ano": _integer, "mes": _integer, "id_vendedor": _integer, "vendedor": _text, "contratos": _integer,
         "valor_mensal_total": _number},
        lambda _: (
            """select ano, mes, id_funcionario_vendedor as id_vendedor, nome_vendedor as vendedor,
                            sum(contratos_assinados) as contratos, sum(valor_mensal_total) as valor_mensal_total
                     from gold.seller_contracts group by 1, 2, 3, 4 order by 1, 2, 3, 4"""
        ),
    ),
}  # fmt: skip

RunSql = Callable[[str], list[tuple[Any, ...]]]


def _columns_sql(table: str) -> str:
    return (  # the names are the constants above, never input
        "select column_name from information_schema.columns"
        f" where table_schema = 'gold' and table_name = '{table}'"
    )


def _datasets(run_sql: RunSql) -> dict[str, Dataset]:
    datasets: dict[str, Dataset] = {}
    for name, query in QUERIES.items():
        columns = list(query.columns)
        present = {str(row[0]) for row in run_sql(_columns_sql(query.table))}
        if not present:
            datasets[name] = Dataset(columns, missing=f"gold.{query.table} ainda não publicada")
            continue
        typed = list(query.columns.values())
        rows = run_sql(query.sql(present))
        datasets[name] = Dataset(
            columns, [[convert(value) for convert, value in zip(typed, row, strict=True)] for row in rows]
        )
    return datasets


def _no_catalog() -> dict[str, Dataset]:
    return {name: Dataset(list(query.columns), missing="nenhum catálogo ainda") for name, query in QUERIES.items()}


def read_gold(catalog_path: Path) -> dict[str, Dataset]:
    """Every dataset of the page from a DuckDB catalog file; a table not published yet gives an empty
    dataset saying so."""
    if not catalog_path.exists():
        return _no_catalog()
    with duckdb.connect(str(catalog_path), read_only=True) as connection:
        return _datasets(lambda sql: connection.execute(sql).fetchall())


def read_gold_from(engine: QueryEngine) -> dict[str, Dataset]:
    """Every dataset of the page through a backend's query engine (Athena over the Glue catalog on AWS)."""
    try:
        return _datasets(lambda sql: engine.query(sql).rows)
    except CatalogMissingError:
        return _no_catalog()
