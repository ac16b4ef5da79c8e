"""The dashboard in headless Chromium: built by a real demo run, it loads offline with no console error and no
request beyond the file itself, fits a 390 px phone, answers the dbt analyses, re-draws its marks when a filter
changes, writes money the Brazilian way, and a failed run's page says why it failed."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from serving.dashboard import formats, write_dashboard
from serving.dashboard.gold import read_gold
from serving.dashboard.run_health import failure_reasons
from serving.dashboard.server import dashboard_server
from tests.dashboard.chromium import Chromium, PageLoad
from tests.dashboard.page_data import analysis_sql, embedded_data
from tests.support.demo import DemoDay
from tests.support.requirements import require_executable

DAY = "2025-03-10"
PHONE = 390
READY = "window.dashboard.drawn"
MARKS = """Object.fromEntries([...document.querySelectorAll('figure[data-chart]')].map(figure => [
    figure.dataset.chart,
    [...figure.querySelectorAll('.mark-rect path, .mark-symbol path')].map(mark => mark.getAttribute('aria-label')),
]))"""
MONEY = re.compile(r"R\$\s\d{1,3}(?:\.\d{3})*,\d{2}\b")
US_MONEY = re.compile(r"\d,\d{3}\.\d{2}")
CLIENT_CHARTS = {
    "by_sex": "client_health_by_sex",
    "registrations_per_year": "client_health_registrations_per_year",
    "top_states": "client_health_top_five_states",
    "convenio_without_sus": "client_health_by_convenio_without_sus",
}
SEX = {"F": "Feminino", "M": "Masculino", "N/A": "Não informado"}


def set_filters(browser: Chromium, load: PageLoad | None = None, **values: str) -> None:
    """Types into the filter form as a person would (one change event per field) and waits for the redraw;
    console errors during it go to ``load``."""
    browser.evaluate(
        f"""(async () => {{
            const form = document.getElementById('filters');
            for (const [name, value] of Object.entries({json.dumps(values)})) {{
                form.elements[name].value = value;
                form.elements[name].dispatchEvent(new Event('change', {{bubbles: true}}));
            }}
            await window.dashboard.drawn;
        }})()""",
        load,
    )


def chart_csv(browser: Chromium, key: str) -> list[list[str]]:
    text = browser.evaluate(f"window.dashboard.csv({json.dumps(key)})")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def offsite(load: PageLoad) -> list[str]:
    return [url for url in load.requests if not url.startswith(("file://", "http://127.0.0.1", "data:"))]


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    executable = require_executable(
        "chromium", "install Debian's chromium package (apt-get install chromium)"
    )
    browser = Chromium(executable, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def demo_lake(demo_day: DemoDay) -> Path:
    """A lake as `lakehouse demo` leaves it (the session's demo day): its run wrote the dashboard."""
    assert demo_day.day == DAY
    return demo_day.lake


def demo_report(lake: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((lake / "reports" / f"run-{DAY}.json").read_text())
    return report


def open_demo_page(chromium: Chromium, lake: Path) -> PageLoad:
    page = lake / "reports" / "dashboard.html"
    load = chromium.load(page.as_uri(), width=PHONE, ready=READY)
    assert load.console_errors == []
    return load


@pytest.mark.spark
@pytest.mark.slow
def test_the_demo_page_loads_offline_and_fits_a_phone(chromium: Chromium, demo_lake: Path) -> None:
    page = demo_lake / "reports" / "dashboard.html"
    load = open_demo_page(chromium, demo_lake)

    assert load.requests == [page.as_uri()] and offsite(load) == []
    assert chromium.evaluate("[document.documentElement.scrollWidth, window.innerWidth]") == [PHONE, PHONE]
    marks = chromium.evaluate(MARKS)
    assert set(marks) == {*CLIENT_CHARTS, "salary_by_month", "headcount_by_month", "contracts_by_plan",
                          "contracts_by_seller"}  # fmt: skip
    assert all(marks.values()), marks  # every chart drew something
    # No chart is wider than the phone: its SVG fits inside its figure.
    overflowing = chromium.evaluate(
        """[...document.querySelectorAll('figure[data-chart]')].filter(figure =>
            figure.querySelector('svg').getBoundingClientRect().right > figure.getBoundingClientRect().right
        ).map(figure => figure.dataset.chart)"""
    )
    assert overflowing == []


@pytest.mark.spark
@pytest.mark.slow
def test_the_client_charts_answer_the_dbt_analyses(chromium: Chromium, demo_lake: Path) -> None:
    open_demo_page(chromium, demo_lake)
    with duckdb.connect(str(demo_lake / "catalog.duckdb"), read_only=True) as connection:
        for chart, analysis in CLIENT_CHARTS.items():
            expected = [
                [SEX.get(str(label), str(label)) if chart == "by_sex" else str(label), str(count)]
                for label, count in connection.execute(analysis_sql(analysis)).fetchall()
            ]
            assert chart_csv(chromium, chart)[1:] == expected, chart


@pytest.mark.spark
@pytest.mark.slow
def test_filters_change_the_marks_and_the_exported_data(chromium: Chromium, demo_lake: Path) -> None:
    load = open_demo_page(chromium, demo_lake)
    with duckdb.connect(str(demo_lake / "catalog.duckdb"), read_only=True) as connection:
        uf, in_uf = connection.execute(
            "select estado, count(*) from gold.client_health group by 1 order by 2, 1 limit 1"
        ).fetchone() or ("", 0)
        (sao_paulo_2024,) = connection.execute(
            "select count(*) from gold.client_health where estado = 'SP' and year(data_cadastro) = 2024"
        ).fetchone() or (0,)
    before = chromium.evaluate(MARKS)

    set_filters(chromium, load, uf=uf)
    after = chromium.evaluate(MARKS)
    assert after["by_sex"] != before["by_sex"]
    assert len(after["top_states"]) == 1
    assert {f"UF: {uf}", f"Clientes: {in_uf}"} <= set(after["top_states"][0].split("; "))
    assert sum(int(row[1]) for row in chart_csv(chromium, "by_sex")[1:]) == in_uf
    assert after["salary_by_month"] == before["salary_by_month"]  # UF does not apply to salaries
    link = chromium.evaluate("document.querySelector('[data-chart=by_sex] a.csv').href")
    assert unquote(link) == "data:text/csv;charset=utf-8," + chromium.evaluate(
        "window.dashboard.csv('by_sex')"
    )

    set_filters(chromium, load, uf="SP", **{"from": "01/01/2024", "to": "31/12/2024"})
    by_year = chart_csv(chromium, "registrations_per_year")
    assert by_year == [["ano", "clientes"], *([["2024", str(sao_paulo_2024)]] if sao_paulo_2024 else [])]
    # The period also narrows the monthly charts to the months it touches: none of the demo's are in 2024
    # but December.
    assert [row[0] for row in chart_csv(chromium, "headcount_by_month")[1:]] == ["12/2024"]

    set_filters(
        chromium, load, **{"from": "31/02/2024"}
    )  # not a date: said so, and the marks stay as they were
    assert (
        chromium.evaluate("document.querySelector('#filters [name=from]').getAttribute('aria-invalid')")
        == "true"
    )
    assert chromium.evaluate("!document.getElementById('filter-error').hidden")
    assert chart_csv(chromium, "headcount_by_month")[1:][0][0] == "12/2024"

    chromium.evaluate(
        "(async () => { document.getElementById('filters').reset(); await new Promise(r => setTimeout(r, 50));"
        " await window.dashboard.drawn; })()"
    )
    assert chromium.evaluate(MARKS) == before
    assert load.console_errors == []


@pytest.mark.spark
@pytest.mark.slow
def test_money_and_dates_are_written_the_brazilian_way(chromium: Chromium, demo_lake: Path) -> None:
    open_demo_page(chromium, demo_lake)
    with duckdb.connect(str(demo_lake / "catalog.duckdb"), read_only=True) as connection:
        total, people = connection.execute(
            "select sum(salario_medio * funcionarios), sum(funcionarios) from gold.salary_averages"
        ).fetchone() or (0, 0)
    summary = chromium.evaluate("document.getElementById('salary-summary').textContent")
    assert formats.money(float(total) / people) in summary  # weighted by head count, R$ 12.955,49 style
    text = chromium.evaluate(  # what is drawn or written, not the scripts' source and data
        "(() => { const copy = document.body.cloneNode(true);"
        " copy.querySelectorAll('script, style').forEach(node => node.remove()); return copy.textContent; })()"
    )
    assert MONEY.search(text) and not US_MONEY.search(text)
    axis = chromium.evaluate(
        "[...document.querySelectorAll('[data-chart=salary_by_month] .role-axis-label text')].map(t => t.textContent)"
    )
    assert "R$\u00a00" in axis  # the salary axis starts at zero
    assert all(re.fullmatch(r"R\$\s\d{1,3}(\.\d{3})*|\d{2}/\d{4}", label) for label in axis), axis
    inputs = chromium.evaluate("[...document.querySelectorAll('#filters input')].map(input => input.value)")
    assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", value) for value in inputs), inputs


@pytest.mark.spark
@pytest.mark.slow
def test_the_run_health_names_every_quarantined_file_with_its_reason(
    chromium: Chromium, demo_lake: Path
) -> None:
    open_demo_page(chromium, demo_lake)
    health = chromium.evaluate("document.getElementById('run-health').innerText")
    report = demo_report(demo_lake)
    partial = [
        detail
        for summary in report["sources"].values()
        for detail in summary["file_details"]
        if detail["rows_quarantined"]
    ]
    assert partial  # the demo sends bad rows on purpose
    for detail in partial:
        assert detail["file"] in health
        for reason, count in detail["quarantined_by_reason"].items():
            assert f"{reason}: {count} linha" in health
    assert "Execução concluída" in health


@pytest.mark.spark
@pytest.mark.slow
def test_the_page_carries_no_client_identity(demo_lake: Path) -> None:
    page = (demo_lake / "reports" / "dashboard.html").read_text(encoding="utf-8")
    with duckdb.connect(str(demo_lake / "catalog.duckdb"), read_only=True) as connection:
        names = [
            row[0] for row in connection.execute("select nome_completo from gold.client_health").fetchall()
        ]
    assert names and not [name for name in names if name in page]
    assert not re.search(r"\d{3}\.\d{3}\.\d{3}-\d{2}|\*\*\*\.\*\*\*", page)
    assert set(embedded_data(page)["datasets"]["clients"]["columns"]) == {
        "data",
        "convenio",
        "sexo",
        "uf",
        "clientes",
    }


# A small published gold, for what needs no Spark: weighting and the failed run.
CLIENTS = [
    ("2021-01-10", "SUS", "M", "SP"),
    ("2022-02-02", "Amil", "F", "MG"),
    ("2024-05-05", "Unimed", "N/A", "PR"),
]
SALARY_GROUPS = "(30, true, 2025, 1, 3000.00::DECIMAL(12,2), 2::BIGINT), (40, true, 2025, 1, 6000.00, 1), (30, true, 2025, 2, 3100.00, 4)"


def small_catalog(lake: Path, salario_total: bool) -> None:
    with duckdb.connect(str(lake / "catalog.duckdb")) as connection:
        connection.execute("create schema gold")
        connection.execute(
            "create table gold.client_health (id varchar, data_cadastro timestamp, convenio varchar, sexo varchar, estado varchar)"
        )
        connection.executemany(
            "insert into gold.client_health values (?, cast(? as timestamp), ?, ?, ?)",
            [(str(index), *row) for index, row in enumerate(CLIENTS)],
        )
        connection.execute(
            f"create table gold.salary_averages as select * from (values {SALARY_GROUPS})"
            " as t(idade, ativo, ano, mes, salario_medio, funcionarios)"
        )
        if salario_total:  # the exact sums, a cent off the rounded averages, to show which one the page used
            connection.execute("alter table gold.salary_averages add column salario_total decimal(18, 2)")
            connection.execute(
                "update gold.salary_averages set salario_total = salario_medio * funcionarios + 0.01"
            )


@pytest.mark.parametrize(("salario_total", "january"), [(False, "4000,00"), (True, "4000,01")])
def test_salary_by_month_is_weighted_by_head_count_with_or_without_the_sum_column(
    chromium: Chromium, tmp_path: Path, salario_total: bool, january: str
) -> None:
    small_catalog(tmp_path, salario_total)
    page = write_dashboard(tmp_path, DAY, {"status": "succeeded", "sources": {}})
    load = chromium.load(page.as_uri(), ready=READY)
    assert load.console_errors == [] and offsite(load) == []
    # (3000 * 2 + 6000 * 1) / 3 employees, not the mean of the two group averages (4500).
    assert chart_csv(chromium, "salary_by_month")[1][:3] == ["01/2025", january, "3"]
    for chart in ("contracts_by_plan", "contracts_by_seller"):  # not published yet: said so, nothing drawn
        assert "ainda não publicada" in chromium.evaluate(
            f"document.querySelector('[data-chart={chart}]').innerText"
        )


FAILED_REPORT: dict[str, Any] = {
    "day": DAY,
    "status": "failed",
    "finished_at": "2025-03-10T12:00:00+00:00",
    "sources": {
        "partner_csv": {
            "status": "failed", "files": 2, "files_quarantined": 1, "rows_read": 10, "rows_landed": 7, "rows_quarantined": 3,
            "quarantined_by_reason": {"idade:not_an_integer": 1},
            "file_details": [
                {"file": "landing/sftp/acme_rh/2025-03-10/funcionarios.csv", "status": "landed", "rows_read": 8,
                 "rows_landed": 7, "rows_quarantined": 1, "quarantined_by_reason": {"idade:not_an_integer": 1}},
                {"file": "landing/sftp/folha_sul/2025-03-10/sem_cabecalho.csv", "status": "quarantined", "rows_read": 2,
                 "rows_landed": 0, "rows_quarantined": 2, "quarantined_by_reason": {"file:missing_columns": 2},
                 "reason": "header lacks required columns: salario, data_referencia"},
            ],
            "errors": ["landing/sftp/norte/2025-03-10/funcionarios.csv: UnicodeDecodeError: invalid start byte"],
        },
    },
    "dbt": {"success": False, "models": {}, "tests": {"total": 4, "passed": 3, "failed": ["assert_salary_positive"]},
            "failures": ["test assert_salary_positive: fail: Got 2 results, configured to fail if != 0"]},
    "gold": "not published: dbt build failed (previous gold left unchanged)",
    "publications": {},
}  # fmt: skip


def test_a_failed_run_says_why_and_names_its_quarantined_files(chromium: Chromium, tmp_path: Path) -> None:
    page = write_dashboard(tmp_path, DAY, FAILED_REPORT)  # no catalog either: the charts say so
    load = chromium.load(page.as_uri(), width=PHONE, ready=READY)
    assert load.console_errors == [] and offsite(load) == []
    assert chromium.evaluate("document.documentElement.scrollWidth") == PHONE

    banner = chromium.evaluate("document.querySelector('.failure-banner').innerText")
    assert banner.startswith("A execução de 10/03/2025 falhou: fonte partner_csv: landing/sftp/norte")
    assert chromium.evaluate("document.querySelector('.failure-banner').getBoundingClientRect().top") < 400
    failure = chromium.evaluate(
        "(() => { const box = document.querySelector('#run-health .failure');"
        " return box && box.getBoundingClientRect().height > 0 ? box.innerText : null; })()"
    )
    assert failure is not None, "the failure reason is not shown"
    assert "UnicodeDecodeError: invalid start byte" in failure
    assert "test assert_salary_positive: fail: Got 2 results" in failure
    assert "previous gold left unchanged" in failure
    health = chromium.evaluate("document.getElementById('run-health').innerText")
    assert "Execução falhou, terminada em 10/03/2025 09:00:00 (horário de Brasília)" in health
    assert "landing/sftp/folha_sul/2025-03-10/sem_cabecalho.csv" in health
    assert "header lacks required columns: salario, data_referencia" in health
    assert "nenhum catálogo ainda" in chromium.evaluate(
        "document.querySelector('[data-chart=by_sex]').innerText"
    )


def test_a_failed_run_without_a_recorded_cause_still_says_it_failed() -> None:
    assert failure_reasons({"status": "failed"}) == ["a execução falhou sem motivo registrado no relatório"]
    assert failure_reasons({"status": "succeeded", "sources": {}}) == []


def test_the_harness_does_catch_console_errors_and_requests(chromium: Chromium, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='http://192.0.2.1:9/x.png'>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>"
    )
    load = chromium.load(page.as_uri())
    assert "boom" in load.console_errors
    assert any("undefinedFunction" in error or "Uncaught" in error for error in load.console_errors)
    assert offsite(load) == ["http://192.0.2.1:9/x.png"]


def test_gold_is_read_as_small_aggregates(tmp_path: Path) -> None:
    small_catalog(tmp_path, salario_total=False)
    gold = read_gold(tmp_path / "catalog.duckdb")
    assert gold["clients"].rows == [
        ["2021-01-10", "SUS", "M", "SP", 1], ["2022-02-02", "Amil", "F", "MG", 1], ["2024-05-05", "Unimed", "N/A", "PR", 1]
    ]  # fmt: skip
    assert gold["salary"].rows == [[2025, 1, 12000.0, 3], [2025, 2, 12400.0, 4]]
    assert gold["plans"].missing == "gold.contract_plans ainda não publicada"
    assert read_gold(tmp_path / "absent.duckdb")["clients"].missing == "nenhum catálogo ainda"


def test_pt_br_formats() -> None:
    assert formats.money(12955.49) == "R$\u00a012.955,49"
    assert formats.money(-0.5) == "-R$\u00a00,50"
    assert formats.integer(1234567) == "1.234.567"
    assert formats.date("2025-03-10") == "10/03/2025"
    assert formats.sao_paulo_time("2025-03-10T02:30:00+00:00") == "09/03/2025 23:30:00"


def test_lakehouse_dashboard_serves_only_the_page_on_localhost(chromium: Chromium, tmp_path: Path) -> None:
    small_catalog(tmp_path, salario_total=False)
    write_dashboard(tmp_path, DAY, {"status": "succeeded", "sources": {}})
    server = dashboard_server(tmp_path, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        load = chromium.load(f"{base}/", width=PHONE, ready=READY)
        assert load.console_errors == [] and offsite(load) == []
        assert load.requests == [f"{base}/"]
        assert chart_csv(chromium, "headcount_by_month")[1:] == [["01/2025", "3"], ["02/2025", "4"]]
        for path in ("/catalog.duckdb", "/../catalog.duckdb", "/reports/run-2025-03-10.json"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=10)
            assert refused.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_lakehouse_dashboard_without_a_page_says_how_to_get_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["dashboard", "--lake", str(tmp_path), "--port", "0"])
    assert result.exit_code == 1
    assert "lakehouse run" in result.output


def test_a_filter_redraws_the_client_marks_on_a_small_gold(chromium: Chromium, tmp_path: Path) -> None:
    small_catalog(tmp_path, salario_total=False)
    page = write_dashboard(tmp_path, DAY, {"status": "succeeded", "sources": {}})
    load = chromium.load(page.as_uri(), width=PHONE, ready=READY)
    assert chromium.evaluate("document.querySelector('.failure-banner') === null")  # the run succeeded
    before = chromium.evaluate(MARKS)
    assert len(before["by_sex"]) == 3

    set_filters(chromium, load, convenio="Amil")
    after = chromium.evaluate(MARKS)
    assert [set(mark.split("; ")) for mark in after["by_sex"]] == [{"Sexo: Feminino", "Clientes: 1"}]
    assert len(after["convenio_without_sus"]) == 1 and "Convênio: Amil" in after["convenio_without_sus"][0]
    assert after["headcount_by_month"] == before["headcount_by_month"]  # convenio does not apply to salaries
    assert load.console_errors == []
