"""The dashboard: one self-contained page whose charts show the analyst questions and the run's health,
checked in headless Chromium (no console errors, no network, the expected number of marks per chart)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from serving.dashboard import analysis_sql, write_dashboard
from tests.dashboard.chromium import Chromium
from tests.support.requirements import require_executable

DAY = "2025-03-10"
REPORT: dict[str, Any] = {
    "day": DAY,
    "status": "succeeded",
    "finished_at": "2025-03-10T12:00:00+00:00",
    "sources": {
        "partner_csv": {"status": "ok", "files": 2, "files_quarantined": 0, "rows_read": 10, "rows_landed": 8,
                        "rows_quarantined": 2, "quarantined_by_reason": {"idade:not_an_integer": 2}},
        "client_health": {"status": "ok", "files": 3, "files_quarantined": 0, "rows_read": 9, "rows_landed": 9,
                          "rows_quarantined": 0, "quarantined_by_reason": {},
                          "quality": {"rows_checked": 9, "rows_quarantined": 4,
                                      "quarantined_by_reason": {"cpf:wrong_check_digits": 3, "estado:unknown_state": 1}}},
    },
    "dbt": {"success": True, "models": {"client_health": "success"}, "tests": {"total": 3, "passed": 3, "failed": []},
            "failures": []},
}  # fmt: skip
# 2019 is before the "since 2021" question; SUS is left out of the plans chart; seven states, top five shown.
CLIENTS = [
    ("2019-05-01", "SUS", "F", "SP"),
    ("2021-01-10", "SUS", "M", "SP"),
    ("2021-06-10", "Unimed", "F", "RJ"),
    ("2022-02-02", "Amil", "F", "MG"),
    ("2024-03-03", "N/A", "M", "BA"),
    ("2024-04-04", "Unimed", "F", "RS"),
    ("2024-05-05", "Unimed", "N/A", "PR"),
    ("2024-06-06", "Amil", "M", "PE"),
    ("2024-07-07", "SUS", "F", "SP"),
]
EXPECTED_MARKS = {
    "registrations_per_year": 3,  # 2021, 2022, 2024
    "convenio_without_sus": 3,  # Unimed, Amil, N/A
    "by_sex": 3,  # F, M, N/A
    "top_states": 5,
    "salary_by_month": 2,  # 2025-01, 2025-02
    "quarantined_by_reason": 3,
}


def _catalog(lake: Path) -> None:
    with duckdb.connect(str(lake / "catalog.duckdb")) as connection:
        connection.execute("CREATE SCHEMA gold")
        connection.execute(
            "CREATE TABLE gold.client_health (id VARCHAR, data_cadastro TIMESTAMP, convenio VARCHAR, sexo VARCHAR, estado VARCHAR)"
        )
        connection.executemany(
            "INSERT INTO gold.client_health VALUES (?, CAST(? AS TIMESTAMP), ?, ?, ?)",
            [(str(index), *row) for index, row in enumerate(CLIENTS)],
        )
        connection.execute(
            """CREATE TABLE gold.salary_averages AS SELECT * FROM (VALUES
                (30, true, 2025, 1, 3000.00::DECIMAL(12,2), 2::BIGINT, 6000.00::DECIMAL(18,2)),
                (40, true, 2025, 1, 6000.00, 1, 6000.00), (30, true, 2025, 2, 3100.00, 4, 12400.00))
                AS t(idade, ativo, ano, mes, salario_medio, funcionarios, salario_total)"""
        )


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


def test_the_dashboard_renders_every_chart_offline_without_errors(chromium: Chromium, tmp_path: Path) -> None:
    _catalog(tmp_path)
    page = write_dashboard(tmp_path, DAY, REPORT)
    assert page == tmp_path / "reports" / "dashboard.html"
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "<script" not in html

    load = chromium.load(page.as_uri())

    assert load.console_errors == []
    assert load.requests == [page.as_uri()]  # nothing fetched besides the page itself
    rendered = chromium.evaluate(
        """Object.fromEntries([...document.querySelectorAll('figure[data-chart]')].map(figure => [
            figure.dataset.chart,
            [...figure.querySelectorAll('.mark')].filter(mark => {
                const box = mark.getBoundingClientRect();
                return box.width > 0 && box.height > 0;
            }).length,
        ]))"""
    )
    assert rendered == EXPECTED_MARKS
    titles = chromium.evaluate(
        "[...document.querySelectorAll('[data-chart=salary_by_month] .mark title')].map(t => t.textContent)"
    )
    assert titles == ["2025-01: 4,000 R$", "2025-02: 3,100 R$"]  # weighted by head count
    assert chromium.evaluate("document.querySelector('table.health').rows.length") == 3


def test_the_harness_does_catch_console_errors_and_requests(chromium: Chromium, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>"
    )
    load = chromium.load(page.as_uri())
    assert "boom" in load.console_errors
    assert any("undefinedFunction" in error or "Uncaught" in error for error in load.console_errors)
    assert "http://127.0.0.1:9/x.png" in load.requests


def test_without_a_catalog_the_charts_say_so(tmp_path: Path) -> None:
    html = write_dashboard(tmp_path, DAY, {"status": "failed", "sources": {}}).read_text(encoding="utf-8")
    assert html.count('data-points="0"') == len(EXPECTED_MARKS)
    assert "no catalog yet" in html and 'class="mark"' not in html


def test_analyses_read_the_published_gold_views() -> None:
    query = analysis_sql("client_health_by_convenio_without_sus")
    assert "from gold.client_health" in query and "{{" not in query
