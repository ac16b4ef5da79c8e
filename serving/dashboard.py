"""``lake/reports/dashboard.html``: the analysts' questions and the run's health, as one self-contained page.

The charts are inline SVG rendered here from the published gold views; no script, font or style is
fetched from anywhere (a Content-Security-Policy forbids it), so the file opens offline and can be
mailed as is. The analyst questions are the dbt analyses themselves (``dbt_project/analyses``), with
``ref('x')`` read as the published ``gold.x``: one definition for QuickSight, Athena and this page.
Every data point is an SVG element of class ``mark`` inside its chart's ``<figure data-chart=...>``.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

ANALYSES_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "analyses"
DASHBOARD_KEY = "reports/dashboard.html"
_REF = re.compile(r"\{\{\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")

WIDTH, HEIGHT = 560, 280
HBAR_ROW = 20  # a horizontal bar chart grows with its rows so that labels never overlap
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 16, 56
COLOURS = ("#2b6cb0", "#2f855a", "#b7791f", "#9b2c2c", "#6b46c1", "#2c7a7b", "#c05621", "#4a5568")


@dataclass(frozen=True)
class Chart:
    key: str  # data-chart attribute
    title: str
    labels: list[str]
    values: list[float]
    kind: str = "bar"  # bar | hbar | line
    value_label: str = "clientes"
    note: str = ""


@dataclass(frozen=True)
class ChartQuery:
    key: str
    title: str
    analysis: str  # file name in dbt_project/analyses, without .sql
    label: Callable[[tuple[Any, ...]], str]
    value: Callable[[tuple[Any, ...]], float] = lambda row: float(row[-1])
    kind: str = "bar"
    value_label: str = "clientes"


CHARTS: tuple[ChartQuery, ...] = (
    ChartQuery(
        "registrations_per_year",
        "Clients registered per year since 2021",
        "client_health_registrations_per_year",
        lambda row: str(row[0]),
    ),
    ChartQuery(
        "convenio_without_sus",
        "Clients by health plan (without SUS)",
        "client_health_by_convenio_without_sus",
        lambda row: str(row[0]),
        kind="hbar",
    ),
    ChartQuery("by_sex", "Clients by sex", "client_health_by_sex", lambda row: str(row[0])),
    ChartQuery("top_states", "Top five states", "client_health_top_five_states", lambda row: str(row[0])),
    ChartQuery(
        "salary_by_month",
        "Average salary by month (R$)",
        "salary_averages_by_month",
        lambda row: f"{int(row[0]):04d}-{int(row[1]):02d}",
        lambda row: float(row[2]),
        kind="line",
        value_label="R$",
    ),
)


def analysis_sql(name: str, analyses_dir: Path = ANALYSES_DIR) -> str:
    """The analysis as plain SQL against the published gold views."""
    text = _REF.sub(lambda match: f"gold.{match.group(1)}", (analyses_dir / f"{name}.sql").read_text())
    if "{{" in text or "{%" in text:
        raise ValueError(f"analysis {name}: only {{{{ ref('...') }}}} can be rendered outside dbt")
    return text


def _chart_from_query(connection: duckdb.DuckDBPyConnection, query: ChartQuery) -> Chart:
    try:
        rows = connection.execute(analysis_sql(query.analysis)).fetchall()
    except duckdb.CatalogException:
        return Chart(query.key, query.title, [], [], query.kind, query.value_label, "not published yet")
    return Chart(
        query.key,
        query.title,
        [query.label(row) for row in rows],
        [query.value(row) for row in rows],
        query.kind,
        query.value_label,
    )


def gold_charts(catalog_path: Path) -> list[Chart]:
    if not catalog_path.exists():
        return [Chart(q.key, q.title, [], [], q.kind, q.value_label, "no catalog yet") for q in CHARTS]
    with duckdb.connect(str(catalog_path), read_only=True) as connection:
        return [_chart_from_query(connection, query) for query in CHARTS]


def quarantine_chart(report: dict[str, Any]) -> Chart:
    """Rows quarantined by source and reason: file-level ingestion reasons and the quality checks."""
    counts: dict[str, int] = {}
    for source, summary in (report.get("sources") or {}).items():
        for reason, count in (summary.get("quarantined_by_reason") or {}).items():
            counts[f"{source} {reason}"] = counts.get(f"{source} {reason}", 0) + int(count)
        quality = summary.get("quality") or {}
        for reason, count in (quality.get("quarantined_by_reason") or {}).items():
            counts[f"{source} {reason}"] = counts.get(f"{source} {reason}", 0) + int(count)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return Chart(
        "quarantined_by_reason",
        "Rows quarantined by reason",
        [label for label, _ in ordered],
        [float(count) for _, count in ordered],
        kind="hbar",
        value_label="rows",
        note="" if ordered else "nothing quarantined",
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _scale(values: Sequence[float]) -> float:
    top = max(values, default=0.0)
    return top if top > 0 else 1.0


def _svg_bars(chart: Chart) -> str:
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = _scale(chart.values)
    slot = plot_width / max(len(chart.values), 1)
    bar = max(slot * 0.7, 1.0)
    parts = []
    for index, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        height = plot_height * value / top
        x = MARGIN_LEFT + index * slot + (slot - bar) / 2
        y = MARGIN_TOP + plot_height - height
        text = html.escape(label)
        colour = COLOURS[index % len(COLOURS)]
        parts.append(
            f'<rect class="mark" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" fill="{colour}">'
            f"<title>{text}: {_number(value)} {html.escape(chart.value_label)}</title></rect>"
            f'<text class="value" x="{x + bar / 2:.1f}" y="{y - 4:.1f}">{_number(value)}</text>'
            f'<text class="label" x="{x + bar / 2:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 14:.1f}"'
            f' transform="rotate(20 {x + bar / 2:.1f} {HEIGHT - MARGIN_BOTTOM + 14:.1f})">{text}</text>'
        )
    return "".join(parts)


def _height(chart: Chart) -> int:
    if chart.kind != "hbar":
        return HEIGHT
    return max(HEIGHT, MARGIN_TOP + 8 + HBAR_ROW * len(chart.values))


def _svg_horizontal_bars(chart: Chart) -> str:
    """Long labels (plans, reasons) read better on the left of horizontal bars."""
    left = 250
    plot_width = WIDTH - left - 48
    top = _scale(chart.values)
    slot = (_height(chart) - MARGIN_TOP - 8) / max(len(chart.values), 1)
    bar = max(min(slot * 0.7, 28.0), 1.0)
    parts = []
    for index, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        width = plot_width * value / top
        y = MARGIN_TOP + index * slot + (slot - bar) / 2
        text = html.escape(label)
        shown = html.escape(label if len(label) <= 42 else label[:41] + "…")
        parts.append(
            f'<rect class="mark" x="{left}" y="{y:.1f}" width="{width:.1f}" height="{bar:.1f}"'
            f' fill="{COLOURS[index % len(COLOURS)]}">'
            f"<title>{text}: {_number(value)} {html.escape(chart.value_label)}</title></rect>"
            f'<text class="hlabel" x="{left - 6}" y="{y + bar / 2 + 4:.1f}">{shown}</text>'
            f'<text class="hvalue" x="{left + width + 4:.1f}" y="{y + bar / 2 + 4:.1f}">{_number(value)}</text>'
        )
    return "".join(parts)


def _svg_line(chart: Chart) -> str:
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    low, high = min(chart.values, default=0.0), max(chart.values, default=1.0)
    span = (high - low) or max(high, 1.0)
    low = low - span * 0.1
    span *= 1.2
    step = plot_width / max(len(chart.values) - 1, 1)
    points = [
        (MARGIN_LEFT + index * step if len(chart.values) > 1 else MARGIN_LEFT + plot_width / 2,
         MARGIN_TOP + plot_height - plot_height * (value - low) / span)
        for index, value in enumerate(chart.values)
    ]  # fmt: skip
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [f'<polyline class="series" points="{path}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>']
    for (x, y), label, value in zip(points, chart.labels, chart.values, strict=True):
        text = html.escape(label)
        parts.append(
            f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS[0]}">'
            f"<title>{text}: {_number(value)} {html.escape(chart.value_label)}</title></circle>"
            f'<text class="value" x="{x:.1f}" y="{y - 8:.1f}">{_number(value)}</text>'
            f'<text class="label" x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 14:.1f}">{text}</text>'
        )
    return "".join(parts)


def render_chart(chart: Chart) -> str:
    renderers = {"line": _svg_line, "hbar": _svg_horizontal_bars, "bar": _svg_bars}
    body = renderers[chart.kind](chart)
    axis = (
        ""
        if chart.kind == "hbar"
        else f'<line class="axis" x1="{MARGIN_LEFT}" y1="{HEIGHT - MARGIN_BOTTOM}" x2="{WIDTH - MARGIN_RIGHT}"'
        f' y2="{HEIGHT - MARGIN_BOTTOM}"/>'
    )
    empty = (
        f'<text class="empty" x="{WIDTH / 2}" y="{_height(chart) / 2}">{html.escape(chart.note or "no data")}</text>'
        if not chart.values
        else ""
    )
    title = html.escape(chart.title)
    return (
        f'<figure class="chart" data-chart="{chart.key}" data-points="{len(chart.values)}">'
        f"<figcaption>{title}</figcaption>"
        f'<svg viewBox="0 0 {WIDTH} {_height(chart)}" role="img" aria-label="{title}">{axis}{body}{empty}</svg>'
        "</figure>"
    )


def _health_table(report: dict[str, Any]) -> str:
    rows = []
    for source, summary in (report.get("sources") or {}).items():
        quality = summary.get("quality") or {}
        cells = [
            html.escape(source),
            html.escape(str(summary.get("status", ""))),
            _number(summary.get("files", 0)),
            _number(summary.get("files_quarantined", 0)),
            _number(summary.get("rows_read", 0)),
            _number(summary.get("rows_landed", 0)),
            _number(summary.get("rows_quarantined", 0) + quality.get("rows_quarantined", 0)),
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    header = "".join(
        f"<th>{name}</th>"
        for name in (
            "source",
            "status",
            "files",
            "files quarantined",
            "rows read",
            "rows landed",
            "rows quarantined",
        )
    )
    dbt = report.get("dbt") or {}
    tests = dbt.get("tests") or {}
    failures = "".join(f"<li>{html.escape(str(failure))}</li>" for failure in dbt.get("failures") or [])
    return (
        f'<table class="health"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<p class="dbt">dbt: {len(dbt.get("models") or {})} models, {tests.get("passed", 0)}/{tests.get("total", 0)}'
        f" tests passed</p>" + (f'<ul class="failures">{failures}</ul>' if failures else "")
    )


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1a202c;background:#f7fafc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.meta{color:#4a5568;margin:0 0 16px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:12px}
figcaption{font-weight:600;margin-bottom:6px}svg{width:100%;height:auto}
svg text{font-size:11px;fill:#2d3748}svg text.value,svg text.empty{text-anchor:middle}
svg text.label{text-anchor:start}svg text.hlabel{text-anchor:end}.axis{stroke:#a0aec0}
table{border-collapse:collapse;background:#fff;margin-top:16px}th,td{border:1px solid #e2e8f0;padding:4px 10px;text-align:right}
th:first-child,td:first-child,td:nth-child(2){text-align:left}.status-failed{color:#9b2c2c}.failures{color:#9b2c2c}
"""


def render_dashboard(day: str, charts: list[Chart], report: dict[str, Any]) -> str:
    status = html.escape(str(report.get("status", "unknown")))
    questions = "".join(render_chart(chart) for chart in charts if chart.key != "salary_by_month")
    salary = "".join(render_chart(chart) for chart in charts if chart.key == "salary_by_month")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="pt-BR"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Lakehouse {html.escape(day)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Lakehouse dashboard: {html.escape(day)}</h1>"
        f'<p class="meta">Run <span class="status-{status}">{status}</span>'
        f" (finished {html.escape(str(report.get('finished_at', '')))}). Gold as published after the run.</p>"
        f'<h2>Client health</h2><div class="grid">{questions}</div>'
        f'<h2>Salaries</h2><div class="grid">{salary}</div>'
        f'<h2>Run health</h2><div class="grid">{render_chart(quarantine_chart(report))}</div>'
        f"{_health_table(report)}"
        "</body></html>\n"
    )


def write_dashboard(lake_root: Path, day: str, report: dict[str, Any]) -> Path:
    """Writes ``lake_root/reports/dashboard.html`` (aside, then renamed) and returns its path."""
    target = lake_root / DASHBOARD_KEY
    target.parent.mkdir(parents=True, exist_ok=True)
    page = render_dashboard(day, gold_charts(lake_root / "catalog.duckdb"), report)
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
