"""The page: pt-BR text, the filters, one figure per chart, the run health, the data and the scripts inlined."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from core.layout import CATALOG_FILE
from core.storage import LocalObjectStore, ObjectStore
from serving.dashboard import formats
from serving.dashboard.gold import Dataset, read_gold
from serving.dashboard.run_health import failure_reasons, render_run_health
from serving.dashboard.vega import vega_bundle, vega_versions

DASHBOARD_KEY = "reports/dashboard.html"
# Everything the page needs is inline; the policy makes the browser refuse any other load.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Figure:
    key: str  # data-chart, as in app.js
    dataset: str
    title: str
    note: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    note: str
    figures: tuple[Figure, ...]
    summary: str = ""  # id of a line app.js fills with the section's figure for the filtered period


SECTIONS = (
    Section(
        "Saúde dos clientes",
        "Filtros: período (data de cadastro), convênio e UF. As perguntas são as análises do dbt"
        " (dbt_project/analyses/client_health_*.sql).",
        (
            Figure("by_sex", "clients", "Clientes por sexo"),
            Figure("registrations_per_year", "clients", "Clientes cadastrados por ano, desde 2021"),
            Figure("top_states", "clients", "Os cinco estados com mais clientes"),
            Figure("convenio_without_sus", "clients", "Clientes por convênio, sem o SUS"),
        ),
    ),
    Section(
        "Salários dos funcionários dos parceiros",
        "Filtro: período (mês de referência). O salário médio de um mês é ponderado pelos funcionários:"
        " soma dos salários ÷ soma dos funcionários (nunca a média das médias dos grupos).",
        (
            Figure("salary_by_month", "salary", "Salário médio por mês"),
            Figure("headcount_by_month", "salary", "Funcionários por mês"),
        ),
        summary="salary-summary",
    ),
    Section(
        "Contratos",
        "Convênio e UF não se aplicam aos contratos.",
        (
            Figure(
                "contracts_by_plan", "plans", "Contratos por plano (sem o BASICO)",
                "Sem data nos contratos posicionais: o período não se aplica.",
            ),
            Figure(
                "contracts_by_seller", "sellers", "Os 10 vendedores com mais contratos assinados",
                "Filtro: período (mês de assinatura).",
            ),
        ),
    ),
)  # fmt: skip


def _asset(name: str) -> str:
    return resources.files("serving.dashboard").joinpath("assets", name).read_text(encoding="utf-8")


def _month_bounds(dataset: Dataset) -> tuple[dt.date, dt.date] | None:
    months = sorted((int(row[0]), int(row[1])) for row in dataset.rows)
    if not months:
        return None
    (first_year, first_month), (last_year, last_month) = months[0], months[-1]
    after_last = dt.date(last_year + last_month // 12, last_month % 12 + 1, 1)
    return dt.date(first_year, first_month, 1), after_last - dt.timedelta(days=1)


def data_period(datasets: dict[str, Dataset]) -> dict[str, str | None]:
    """The first and last day any chart has data for: the period filter's defaults."""
    days = [dt.date.fromisoformat(str(row[0])) for row in datasets["clients"].rows]
    for name in ("salary", "sellers"):
        days += _month_bounds(datasets[name]) or ()
    return (
        {"from": min(days).isoformat(), "to": max(days).isoformat()} if days else {"from": None, "to": None}
    )


def _figure(figure: Figure, day: str, datasets: dict[str, Dataset]) -> str:
    missing = datasets[figure.dataset].missing
    note = f"<p class='note'>{escape(figure.note)}</p>" if figure.note else ""
    body = (
        f"<p class='empty'>{escape(missing)}</p>"
        if missing
        else "<div class='view'></div><p class='empty' hidden>Sem dados para os filtros escolhidos.</p>"
        f"<a class='csv' href='#' download='{figure.key}-{day}.csv'>Baixar os dados (CSV)</a>"
    )
    return (
        f"<figure class='chart' data-chart='{figure.key}'><figcaption>{escape(figure.title)}</figcaption>"
        f"{note}{body}</figure>"
    )


FILTERS = """
<form id="filters" aria-label="Filtros">
  <label>De (dd/mm/aaaa)<input name="from" inputmode="numeric" placeholder="dd/mm/aaaa" autocomplete="off"></label>
  <label>Até (dd/mm/aaaa)<input name="to" inputmode="numeric" placeholder="dd/mm/aaaa" autocomplete="off"></label>
  <label>Convênio<select name="convenio"><option value="">Todos</option></select></label>
  <label>UF<select name="uf"><option value="">Todas</option></select></label>
  <button type="reset">Limpar filtros</button>
  <p id="filter-error" role="alert" hidden>Data inválida: use dd/mm/aaaa.</p>
</form>"""


def _failure_banner(day: str, report: dict[str, Any]) -> str:
    """A failed run is said at the top, with its first reason; the charts below show the previous gold."""
    if report.get("status") != "failed":
        return ""
    reasons = failure_reasons(report)
    more = f" (e mais {len(reasons) - 1})" if len(reasons) > 1 else ""
    return (
        f"<p class='failure-banner' role='alert'>A execução de {formats.date(day)} falhou: {escape(reasons[0])}{more}."
        " <a href='#run-health'>Ver a saúde da execução</a>.</p>"
    )


def _json_for_script(value: Any) -> str:
    # Inside <script>, "</" would end the element; the escaped form is the same JSON.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def render_dashboard(
    day: str, datasets: dict[str, Dataset], report: dict[str, Any], generated_at: dt.datetime | None = None
) -> str:
    generated = formats.sao_paulo_time(generated_at or dt.datetime.now(tz=dt.UTC))
    page_data = {
        "day": day,
        "period": data_period(datasets),
        "datasets": {name: dataset.as_json() for name, dataset in datasets.items()},
    }
    sections = "".join(
        f"<section><h2>{escape(section.title)}</h2><p class='note'>{escape(section.note)}</p>"
        + (f"<p class='summary' id='{section.summary}'></p>" if section.summary else "")
        + f"<div class='grid'>{''.join(_figure(figure, day, datasets) for figure in section.figures)}</div></section>"
        for section in SECTIONS
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="pt-BR"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Lakehouse: painel de {formats.date(day)}</title><style>{_asset('style.css')}</style></head><body>"
        f"<header><h1>Lakehouse: painel de {formats.date(day)}</h1>"
        f"<p class='meta'>Gold publicada após a execução do dia; página gerada em {generated} (horário de Brasília)."
        " Passe o cursor ou toque numa marca para ver o valor.</p>"
        "<ul class='legend' aria-label='Cores'><li class='clientes'>clientes</li><li class='salario'>salário</li>"
        "<li class='funcionarios'>funcionários</li><li class='contratos'>contratos</li></ul></header>"
        f"{_failure_banner(day, report)}{FILTERS}{sections}"
        f"<section id='run-health'><h2>Saúde da execução</h2>{render_run_health(report)}</section>"
        f"<footer>Gráficos: {escape(vega_versions())}, embutidos na página (funciona sem rede).</footer>"
        f'<script type="application/json" id="dashboard-data">{_json_for_script(page_data)}</script>'
        f'<script type="module">{vega_bundle()}</script>'
        f'<script type="module">{_asset("app.js")}</script>'
        "</body></html>\n"
    )


def publish_dashboard(store: ObjectStore, datasets: dict[str, Dataset], day: str, report: dict[str, Any]) -> str:
    """Writes ``reports/dashboard.html`` into the lake's store (a folder or the bucket; aside, then
    published whole) and returns where it is."""
    page = render_dashboard(day, datasets, report)
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".html", dir=store.scratch_folder(DASHBOARD_KEY))
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the page is meant to be opened and shared
        store.publish_file(Path(temporary), DASHBOARD_KEY)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return store.uri(DASHBOARD_KEY)


def write_dashboard(lake_root: Path, day: str, report: dict[str, Any]) -> Path:
    """Writes ``lake_root/reports/dashboard.html`` from the lake's DuckDB catalog and returns its path."""
    return Path(publish_dashboard(LocalObjectStore(lake_root), read_gold(lake_root / CATALOG_FILE), day, report))
