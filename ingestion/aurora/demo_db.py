"""The demo's operational database: a SQLite file standing in for Aurora, with related pt_BR tables.

Tables (declared types are what the extraction maps, see ``ingestion.aurora.columns``):

- ``clientes``: ``id_cliente`` INTEGER key, ``cpf`` CHAR(11) (digits only, valid check digits), ``nome``,
  ``email`` (nullable), ``uf``, ``data_nascimento`` DATE, ``criado_em`` TIMESTAMPTZ;
- ``contratos``: ``numero_contrato`` CHAR(10) key, ``id_cliente`` -> clientes, ``id_plano`` INTEGER,
  ``id_funcionario_vendedor`` INTEGER (nullable: sold online), ``valor_mensal`` NUMERIC(12,2),
  ``desconto_percentual`` NUMERIC(5,2) (nullable), ``ativo`` BOOLEAN, ``assinado_em`` TIMESTAMPTZ,
  ``cancelado_em`` TIMESTAMPTZ (null while active);
- ``pagamentos``: ``id_pagamento`` INTEGER key, ``numero_contrato`` -> contratos, ``competencia`` DATE
  (first day of the month billed), ``vencimento`` DATE, ``valor_cobrado`` NUMERIC(12,2), ``valor_pago``
  NUMERIC(12,2) and ``pago_em`` TIMESTAMPTZ (both null while open), ``juros`` NUMERIC(20,6),
  ``forma_pagamento`` TEXT, ``observacao`` TEXT (nullable, may hold accents and line breaks).

Key conventions shared with the other sources (so gold models can join them):

- ``numero_contrato``: the contract number of the positional files, 10 digits zero-padded
  (``'0000010000'``); by default the demo numbers contracts from 10000 up;
- ``id_plano``: the plan id of the positional plan catalog (1..6, 4 digits ``0001`` on the wire);
- ``id_funcionario_vendedor``: an ``id_funcionario`` of the partner CSVs (integers from 100000);
- ``cpf``: 11 digits without punctuation, as the client files' CPFs once cleaned.

``DemoKeys`` lets the caller hand in the keys actually generated for the other sources of the day, so
that every contract, seller and CPF matches; without it the defaults above are used. Timestamps are
stored as ISO-8601 text with the Sao Paulo offset (``-03:00``); the extraction lands them in UTC.
Everything is deterministic for a given ``day``, ``rows`` and ``seed``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from faker import Faker

from core.calendar import SAO_PAULO
from ingestion.cpf import generate_cpf

PLAN_IDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
PLAN_PRICES: dict[int, Decimal] = {
    1: Decimal("189.90"),
    2: Decimal("329.50"),
    3: Decimal("459.00"),
    4: Decimal("689.90"),
    5: Decimal("1249.00"),
    6: Decimal("1899.99"),
}
FIRST_CONTRACT = 10_000
FIRST_EMPLOYEE = 100_000
SELLERS = 50
PAYMENT_METHODS = ("PIX", "BOLETO", "CARTAO", "DEBITO")
UFS = ("SP", "RJ", "MG", "RS", "PR", "BA", "SC", "PE", "CE", "GO", "DF", "ES")

SCHEMA = """
CREATE TABLE clientes (
    id_cliente INTEGER PRIMARY KEY,
    cpf CHAR(11) NOT NULL UNIQUE,
    nome TEXT NOT NULL,
    email TEXT,
    uf CHAR(2) NOT NULL,
    data_nascimento DATE,
    criado_em TIMESTAMPTZ NOT NULL
);
CREATE TABLE contratos (
    numero_contrato CHAR(10) PRIMARY KEY,
    id_cliente INTEGER NOT NULL REFERENCES clientes (id_cliente),
    id_plano INTEGER NOT NULL,
    id_funcionario_vendedor INTEGER,
    valor_mensal NUMERIC(12,2) NOT NULL,
    desconto_percentual NUMERIC(5,2),
    ativo BOOLEAN NOT NULL,
    assinado_em TIMESTAMPTZ NOT NULL,
    cancelado_em TIMESTAMPTZ
);
CREATE TABLE pagamentos (
    id_pagamento INTEGER PRIMARY KEY,
    numero_contrato CHAR(10) NOT NULL REFERENCES contratos (numero_contrato),
    competencia DATE NOT NULL,
    vencimento DATE NOT NULL,
    valor_cobrado NUMERIC(12,2) NOT NULL,
    valor_pago NUMERIC(12,2),
    juros NUMERIC(20,6) NOT NULL,
    pago_em TIMESTAMPTZ,
    forma_pagamento TEXT NOT NULL,
    observacao TEXT
);
"""
DEMO_TABLES = ("clientes", "contratos", "pagamentos")


@dataclass(frozen=True)
class DemoKeys:
    """Keys of the other sources of the day; an empty sequence means "use the default convention"."""

    contract_numbers: Sequence[str] = ()
    employee_ids: Sequence[int] = ()
    cpfs: Sequence[str] = ()


def _moment(value: dt.datetime) -> str:
    return value.astimezone(SAO_PAULO).isoformat(sep=" ")


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    seconds = max(int((end - start).total_seconds()), 1)
    return start + dt.timedelta(seconds=rng.randrange(seconds))


def _month_starts(first: dt.date, last: dt.date, limit: int) -> list[dt.date]:
    months = []
    cursor = first.replace(day=1)
    while cursor <= last:
        months.append(cursor)
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months[-limit:]


def _clientes(rng: random.Random, fake: Faker, count: int, day_end: dt.datetime, cpfs: Sequence[str]) -> list[tuple[Any, ...]]:
    rows = []
    seen: set[str] = set()
    for index in range(count):
        cpf = cpfs[index] if index < len(cpfs) else generate_cpf(rng, punctuated=False)
        while cpf in seen:
            cpf = generate_cpf(rng, punctuated=False)
        seen.add(cpf)
        name = fake.name()
        email = None if rng.random() < 0.1 else fake.free_email()
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 66))
        created = _between(rng, day_end - dt.timedelta(days=3 * 365), day_end - dt.timedelta(days=1))
        rows.append((index + 1, cpf, name, email, rng.choice(UFS), birth.isoformat(), _moment(created)))
    return rows


def create_demo_database(path: Path, day: str, rows: int, seed: int, keys: DemoKeys | None = None) -> dict[str, int]:
    """(Re)creates the demo database at ``path`` with ``rows`` contracts as of ``day``; returns rows per table.

    The file is written aside and renamed into place, so an extraction never sees it half built.
    """
    keys = keys or DemoKeys()
    rows = max(rows, 1)
    rng = random.Random(seed)
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    date = dt.date.fromisoformat(day)
    day_end = dt.datetime.combine(date, dt.time(23, 59, 59), tzinfo=SAO_PAULO)

    clientes = _clientes(rng, fake, max(rows * 3 // 4, 1), day_end, keys.cpfs)
    sellers = list(keys.employee_ids) or [FIRST_EMPLOYEE + index for index in range(SELLERS)]
    numbers = list(keys.contract_numbers)[:rows] or [f"{FIRST_CONTRACT + index:010d}" for index in range(rows)]
    contratos: list[tuple[Any, ...]] = []
    pagamentos: list[tuple[Any, ...]] = []
    for number in numbers:
        client = clientes[rng.randrange(len(clientes))]
        client_since = dt.datetime.fromisoformat(client[6])
        signed = _between(rng, client_since, day_end - dt.timedelta(hours=1))
        cancelled = _between(rng, signed, day_end) if rng.random() < 0.12 else None
        plan = rng.choice(PLAN_IDS)
        discount = rng.choice((None, None, Decimal("5.00"), Decimal("10.00"), Decimal("12.50")))
        price = PLAN_PRICES[plan] * (1 - (discount or Decimal(0)) / 100)
        monthly = price.quantize(Decimal("0.01"))
        seller = None if rng.random() < 0.2 else rng.choice(sellers)
        contratos.append(
            (number, client[0], plan, seller, str(monthly), None if discount is None else str(discount),
             int(cancelled is None), _moment(signed), None if cancelled is None else _moment(cancelled))
        )
        for competencia in _month_starts(signed.date(), (cancelled or day_end).date(), 3):
            due = competencia + dt.timedelta(days=9)
            paid = due < date and rng.random() < 0.9
            paid_at = _between(rng, dt.datetime.combine(competencia, dt.time(8), tzinfo=SAO_PAULO),
                               dt.datetime.combine(due, dt.time(22), tzinfo=SAO_PAULO)) if paid else None
            late_fee = Decimal(rng.randrange(0, 250_000_000)) / Decimal(1_000_000) if rng.random() < 0.15 else Decimal(0)
            note = rng.choice((None, None, None, "Pagamento via app", "Cliente pediu 2ª via\ndo boleto", "Acordo de renegociação"))
            pagamentos.append(
                (len(pagamentos) + 1, number, competencia.isoformat(), due.isoformat(), str(monthly),
                 str(monthly) if paid else None, str(late_fee.quantize(Decimal("0.000001"))),
                 None if paid_at is None else _moment(paid_at), rng.choice(PAYMENT_METHODS), note)
            )

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".sqlite", dir=path.parent)
    os.close(handle)
    try:
        with sqlite3.connect(temp_name) as connection:
            connection.executescript(SCHEMA)
            connection.executemany("INSERT INTO clientes VALUES (?, ?, ?, ?, ?, ?, ?)", clientes)
            connection.executemany("INSERT INTO contratos VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", contratos)
            connection.executemany("INSERT INTO pagamentos VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", pagamentos)
        connection.close()
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return {"clientes": len(clientes), "contratos": len(contratos), "pagamentos": len(pagamentos)}
