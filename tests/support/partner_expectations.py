"""An independent reading of partner CSVs (plain csv module + Decimal) to check gold against."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

Row = dict[str, object]


def _read_file(path: Path) -> list[Row]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    delimiter = ";" if text.split("\n", 1)[0].count(";") >= 6 else ","
    rows: list[Row] = []
    for record in csv.DictReader(io.StringIO(text), delimiter=delimiter):
        try:
            if delimiter == ";":
                salary = Decimal(record["salario"].replace(".", "").replace(",", "."))
                day = dt.datetime.strptime(record["data_referencia"], "%d/%m/%Y").date()
                active = {"s": True, "n": False}[record["ativo"].strip().lower()]
            else:
                salary = Decimal(record["salario"])
                day = dt.date.fromisoformat(record["data_referencia"])
                active = {"true": True, "false": False}[record["ativo"].strip().lower()]
            rows.append(
                {
                    "id": int(record["id_funcionario"]),
                    "idade": int(record["idade"]),
                    "ativo": active,
                    "salario": salary,
                    "data": day,
                }
            )
        except (KeyError, ValueError, InvalidOperation, TypeError):
            continue
    return rows


def _partner(path: Path) -> str:
    """The partner of a landed file: ``landing/sftp/<partner>/<day>/<name>``."""
    return path.parent.parent.name


def expected_salary_averages(
    files_in_delivery_order: list[Path],
) -> dict[tuple[int, bool, int, int], tuple[Decimal, int, Decimal]]:
    """(idade, ativo, ano, mes) -> (salario_medio, funcionarios, salario_total)."""
    latest: dict[tuple[str, int, dt.date], Row] = {}
    for path in files_in_delivery_order:
        for row in _read_file(path):
            latest[(_partner(path), row["id"], row["data"])] = row  # type: ignore[index]
    groups: dict[tuple[int, bool, int, int], list[Row]] = defaultdict(list)
    for row in latest.values():
        day: dt.date = row["data"]  # type: ignore[assignment]
        groups[(row["idade"], row["ativo"], day.year, day.month)].append(row)  # type: ignore[index]
    return {
        key: (
            (sum((row["salario"] for row in rows), Decimal(0)) / len(rows)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            ),  # type: ignore[misc]
            len(rows),
            sum((row["salario"] for row in rows), Decimal(0)),  # type: ignore[misc]
        )
        for key, rows in groups.items()
    }
