"""The run-health section: the run's outcome, why it failed, and every quarantined file with its reason.

Rendered on the server from the run report (``reports/run-D.json``), as text that wraps at any
width: on-call reads it on a phone, and a reason is never cut off.
"""

from __future__ import annotations

from html import escape
from typing import Any

from serving.dashboard import formats

RUN_STATUS = {"succeeded": "concluída", "failed": "falhou"}
SOURCE_STATUS = {"ok": "ok", "failed": "falhou", "no_input": "sem entrada"}
FILE_STATUS = {
    "landed": "carregado; linhas em quarentena",
    "quarantined": "arquivo inteiro em quarentena",
    "failed": "falhou",
}


def failure_reasons(report: dict[str, Any]) -> list[str]:
    """Why the run failed, from every part of the report that can fail; empty when nothing did."""
    reasons: list[str] = []
    if report.get("error"):
        reasons.append(f"execução: {report['error']}")
    for source, summary in (report.get("sources") or {}).items():
        reasons += [f"fonte {source}: {error}" for error in summary.get("errors") or []]
    dbt = report.get("dbt") or {}
    reasons += [f"dbt: {failure}" for failure in dbt.get("failures") or []]
    if isinstance(report.get("gold"), str):
        reasons.append(f"gold: {report['gold']}")
    for name, result in (report.get("publications") or {}).items():
        if result.get("status") == "failed":
            reasons.append(f"publicação {name}: {result.get('error', 'sem mensagem')}")
    if report.get("status") == "failed" and not reasons:
        reasons.append("a execução falhou sem motivo registrado no relatório")
    return reasons


def quarantined_files(report: dict[str, Any]) -> list[tuple[str, str, str, dict[str, int]]]:
    """(source, file, what happened, rows by reason) for every file with anything quarantined or failed."""
    files = []
    for source, summary in (report.get("sources") or {}).items():
        for detail in summary.get("file_details") or []:
            if detail.get("status") == "landed" and not detail.get("rows_quarantined"):
                continue
            status = str(detail.get("status", ""))
            what = FILE_STATUS.get(status, status)
            if detail.get("reason"):
                what = f"{what}: {detail['reason']}"
            files.append(
                (source, str(detail.get("file", "")), what, dict(detail.get("quarantined_by_reason") or {}))
            )
        quality = summary.get("quality") or {}
        if quality.get("rows_quarantined"):
            files.append((
                source,
                str(quality.get("quarantine_file") or "verificações de qualidade"),
                "linhas reprovadas nas verificações de qualidade do dbt",
                dict(quality.get("quarantined_by_reason") or {}),
            ))  # fmt: skip
    return files


def _reasons_list(by_reason: dict[str, int]) -> str:
    items = "".join(
        f"<li><code>{escape(reason)}</code>: {formats.integer(count)} {'linha' if count == 1 else 'linhas'}</li>"
        for reason, count in sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))
    )
    return f"<ul class='reasons'>{items}</ul>" if items else ""


def _sources_table(report: dict[str, Any]) -> str:
    headers = ("fonte", "situação", "arquivos", "arquivos em quarentena", "linhas lidas", "linhas carregadas",
               "linhas em quarentena")  # fmt: skip
    rows = []
    for source, summary in (report.get("sources") or {}).items():
        quality = summary.get("quality") or {}
        status = str(summary.get("status", ""))
        cells = (
            escape(source),
            escape(SOURCE_STATUS.get(status, status)),
            formats.integer(summary.get("files", 0)),
            formats.integer(summary.get("files_quarantined", 0)),
            formats.integer(summary.get("rows_read", 0)),
            formats.integer(summary.get("rows_landed", 0)),
            formats.integer(summary.get("rows_quarantined", 0) + quality.get("rows_quarantined", 0)),
        )
        rows.append(
            "<tr>" + "".join(f"<td data-label='{header}'>{cell}</td>" for header, cell in zip(headers, cells, strict=True))
            + "</tr>"
        )  # fmt: skip
    head = "".join(f"<th scope='col'>{header}</th>" for header in headers)
    return f"<table class='sources'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _dbt_and_publication(report: dict[str, Any]) -> str:
    dbt = report.get("dbt") or {}
    tests = dbt.get("tests") or {}
    failed_tests = "".join(f"<li><code>{escape(str(name))}</code></li>" for name in tests.get("failed") or [])
    gold = report.get("gold")
    published = (
        ", ".join(
            f"{escape(str(table.get('table')))} ({formats.integer(table.get('rows', 0))} linhas)"
            for table in gold
        )
        if isinstance(gold, list)
        else "nada publicado"
    )
    publications = ", ".join(
        f"{escape(name)}: {escape(str(result.get('status', '')))}"
        for name, result in (report.get("publications") or {}).items()
    )
    return (
        f"<p>dbt: {formats.integer(len(dbt.get('models') or {}))} modelos,"
        f" {formats.integer(tests.get('passed', 0))} de {formats.integer(tests.get('total', 0))} testes aprovados.</p>"
        + (f"<p>Testes reprovados:</p><ul class='failed-tests'>{failed_tests}</ul>" if failed_tests else "")
        + f"<p>Gold publicada: {published}.</p>"
        + (f"<p>Publicações: {publications}.</p>" if publications else "")
    )


def render_run_health(report: dict[str, Any]) -> str:
    status = str(report.get("status", "desconhecida"))
    finished = report.get("finished_at")
    when = f", terminada em {formats.sao_paulo_time(finished)} (horário de Brasília)" if finished else ""
    reasons = failure_reasons(report)
    failure = (
        "<div class='failure' role='alert'><h3>Motivo da falha</h3><ul>"
        + "".join(f"<li>{escape(reason)}</li>" for reason in reasons)
        + "</ul></div>"
        if reasons
        else ""
    )
    files = quarantined_files(report)
    quarantine = (
        "<ol class='quarantine'>"
        + "".join(
            f"<li><span class='source'>{escape(source)}</span> <code class='file'>{escape(file)}</code>"
            f"<div>{escape(what)}</div>{_reasons_list(by_reason)}</li>"
            for source, file, what, by_reason in files
        )
        + "</ol>"
        if files
        else "<p>Nenhum arquivo em quarentena.</p>"
    )
    return (
        f"<p class='run-status status-{escape(status)}'>Execução {escape(RUN_STATUS.get(status, status))}{escape(when)}.</p>"
        f"{failure}<h3>Arquivos em quarentena</h3>{quarantine}<h3>Fontes</h3>{_sources_table(report)}"
        f"{_dbt_and_publication(report)}"
    )
