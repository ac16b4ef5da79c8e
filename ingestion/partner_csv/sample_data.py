"""Deterministic, realistic partner CSVs for a day, in both dialects, with a small documented share of bad rows.

Bad rows: ``max(3, rows // 1000)`` (0.1%), cycling through a non-numeric age, an impossible date, an
unknown boolean and a missing salary, so each reason shows up in quarantine. A correction file from
the first partner re-sends a few employees with a new salary for the same reference date: the later
delivery must win.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from faker import Faker

from core.calendar import SAO_PAULO
from ingestion.cpf import generate_cpf
from ingestion.partner_csv.contract import COLUMNS

PARTNERS: tuple[tuple[str, str], ...] = (
    ("acme_rh", "comma"),
    ("folha_sul", "semicolon"),
    ("norte_pessoal", "semicolon"),
)
BAD_KINDS = ("idade", "data_referencia", "ativo", "salario")


@dataclass(frozen=True)
class Employee:
    id_funcionario: int
    nome: str
    cpf: str
    idade: int
    ativo: bool
    salario: Decimal
    data_referencia: dt.date


def reference_months(day: dt.date, count: int = 3) -> list[dt.date]:
    months, cursor = [], day.replace(day=1)
    for _ in range(count):
        cursor = (cursor - dt.timedelta(days=1)).replace(day=1)
        months.append(cursor)
    return months


def _cell(employee: Employee, column: str, dialect: str) -> str:
    value = getattr(employee, column)
    if column == "ativo":
        return ("S" if value else "N") if dialect == "semicolon" else ("true" if value else "false")
    if column == "salario":
        text = f"{value:.2f}"
        if dialect == "semicolon":
            whole, cents = text.split(".")
            return f"{int(whole):,}".replace(",", ".") + "," + cents
        return text
    if column == "data_referencia":
        return value.strftime("%d/%m/%Y") if dialect == "semicolon" else value.isoformat()
    return str(value)


def _bad_row(row: list[str], kind: str) -> list[str]:
    index = COLUMNS.index(kind)
    broken = {"idade": "trinta", "data_referencia": "31/02/2025", "ativo": "talvez", "salario": ""}[kind]
    return [*row[:index], broken, *row[index + 1 :]]


def render_csv(rows: list[list[str]], dialect: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=";" if dialect == "semicolon" else ",",
        lineterminator="\r\n" if dialect == "semicolon" else "\n",
    )
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("cp1252" if dialect == "semicolon" else "utf-8")


def employee_ids(rows: int, day: dt.date) -> list[int]:
    """The employee ids a demo day of ``rows`` rows uses (other sources' demo data join on them)."""
    people = max(rows // len(reference_months(day)), 1)
    return [100000 + person for person in range(people)]


def generate_employees(rows: int, day: dt.date, seed: int) -> list[Employee]:
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    months = reference_months(day)
    people = max(rows // len(months), 1)
    names = [fake.name() for _ in range(min(people, 5000))]
    employees = []
    for index in range(rows):
        person = index % people
        person_rng = random.Random(seed * 1_000_003 + person)
        employees.append(
            Employee(
                id_funcionario=100000 + person,
                nome=names[person % len(names)],
                cpf=generate_cpf(person_rng),
                idade=person_rng.randint(18, 70),
                ativo=person_rng.random() < 0.85,
                salario=Decimal(rng.randint(141200, 2500000)) / 100,
                data_referencia=months[index // people % len(months)],
            )
        )
    return employees


def write_partner_day(landing_root: Path, day: dt.date, rows: int, seed: int = 7) -> list[Path]:
    """Writes the day's uploads under ``landing_root/sftp/<partner>/<day>/`` with fixed delivery times."""
    employees = generate_employees(rows, day, seed)
    rng = random.Random(seed)
    bad_count = max(3, rows // 1000)
    bad_positions = set(rng.sample(range(len(employees)), min(bad_count, len(employees))))
    files: dict[str, list[list[str]]] = {partner: [] for partner, _ in PARTNERS}
    dialects = dict(PARTNERS)
    for index, employee in enumerate(employees):
        partner = PARTNERS[employee.id_funcionario % len(PARTNERS)][0]
        row = [_cell(employee, column, dialects[partner]) for column in COLUMNS]
        if index in bad_positions:
            row = _bad_row(row, BAD_KINDS[len([p for p in bad_positions if p < index]) % len(BAD_KINDS)])
        files[partner].append(row)

    first_partner, _first_dialect = PARTNERS[0]
    corrected = [row[:] for row in files[first_partner][:5]]
    for row in corrected:
        row[COLUMNS.index("salario")] = (
            f"{Decimal(row[COLUMNS.index('salario')] or '0') + Decimal('100.00'):.2f}"
        )

    delivered = dt.datetime.combine(day, dt.time(8, 0), tzinfo=SAO_PAULO)
    written: list[Path] = []
    uploads = [(partner, "funcionarios.csv", files[partner]) for partner, _ in PARTNERS]
    uploads.append((first_partner, "funcionarios_correcao.csv", corrected))
    for minute, (partner, name, partner_rows) in enumerate(uploads):
        path = landing_root / "sftp" / partner / day.isoformat() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_csv(partner_rows, dialects[partner]))
        stamp = (delivered + dt.timedelta(minutes=minute)).timestamp()
        os.utime(path, (stamp, stamp))
        written.append(path)
    return written
