"""Realistic positional files for one day: the seven layouts, as a health-plan operator sends them.

Content is pt_BR (accents included) and deterministic for a seed. The files differ the way real
deliveries do: contracts, payments and providers come from a Windows system (cp1252, CRLF), the
others are UTF-8 with LF; beneficiaries ends with blank lines. Contracts use every plan of the catalog
(BASICO included) and join to it by ``id_plano``; a contract's ``plano`` is its plan name cut to the
field's five characters, as the sender does (BASICO arrives as BASIC).

About ``BAD_LINE_SHARE`` of the detail lines of contracts, beneficiaries, payments, providers and
claims are damaged, one defect each: a truncated line, letters in a number, an impossible date or a
blank required field. The plan catalog and the coverages are clean (a catalog without a plan would
hide every contract of that plan). Header/trailer counts include the damaged lines, as a sender's do.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from faker import Faker

from core.storage import ObjectStore
from ingestion.positional.converter import landing_key
from ingestion.positional.layout import ControlRecord, Field, FieldType, Layout, default_layouts

BAD_LINE_SHARE = 0.02
PLANS: tuple[tuple[int, str, Decimal], ...] = (
    (1, "BASICO", Decimal("189.90")),
    (2, "CLASSICO", Decimal("329.50")),
    (3, "PLENO", Decimal("459.00")),
    (4, "SUPERIOR", Decimal("689.90")),
    (5, "PREMIUM", Decimal("1249.00")),
    (6, "EXECUTIVO", Decimal("1899.99")),
)
COVERAGES = (
    ("CONS0001", "Consulta médica eletiva", 30),
    ("EXAM0001", "Exames laboratoriais simples", 30),
    ("EXAM0002", "Ressonância magnética e tomografia", 180),
    ("URGE0001", "Pronto-socorro e urgência", 1),
    ("INTE0001", "Internação clínica em enfermaria", 180),
    ("INTE0002", "Internação em apartamento privativo", 180),
    ("OBST0001", "Parto e assistência obstétrica", 300),
    ("FISI0001", "Fisioterapia e reabilitação", 90),
)
CONTRACT_KINDS = ("Individual", "Familiar", "Adesão", "Empresa", "PME", "Coletivo")
SPECIALTIES = (
    "Cardiologia",
    "Pediatria",
    "Ortopedia",
    "Ginecologia",
    "Laboratório",
    "Diagnóstico por imagem",
)
PAYMENT_METHODS = ("BOLETO", "PIX", "CARTAO", "DEBITO")
FILES: Mapping[str, tuple[str, str, bool]] = {
    # layout: (encoding, line terminator, trailing blank lines)
    "contracts": ("cp1252", "\r\n", False),
    "plan_catalog": ("utf-8", "\n", False),
    "beneficiaries": ("utf-8", "\n", True),
    "payments": ("cp1252", "\r\n", False),
    "coverages": ("utf-8", "\n", False),
    "providers": ("cp1252", "\r\n", False),
    "claims": ("utf-8", "\n", False),
}
CLEAN = frozenset({"plan_catalog", "coverages"})


def render_value(item: Field, value: Any) -> str:
    """One field as the sender writes it: text left-aligned and cut, numbers zero-padded."""
    if value is None:
        return " " * item.length
    if item.type is FieldType.INT:
        return str(int(value)).zfill(item.length)[-item.length :]
    if item.type is FieldType.DECIMAL:
        return str(int(Decimal(value).scaleb(item.implied_decimals))).zfill(item.length)[-item.length :]
    if item.type is FieldType.DATE:
        assert item.date_format is not None
        return str(value.strftime(item.date_format))
    return str(value)[: item.length].ljust(item.length)


def render_record(fields: Sequence[Field], record_length: int, values: Mapping[str, Any]) -> str:
    text = "".join(
        render_value(item, values.get(item.name)) for item in sorted(fields, key=lambda f: f.start)
    )
    return text.ljust(record_length)


@dataclass
class _Day:
    day: dt.date
    rng: random.Random
    fake: Faker
    rows: int

    def when(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange(max((end - start).days, 1)))


def _contracts(ctx: _Day) -> list[dict[str, Any]]:
    first = 10_000 + ctx.rng.randrange(1_000_000)
    rows = []
    for index in range(ctx.rows):
        plan_id, plan_name, _ = ctx.rng.choice(PLANS)
        rows.append(
            {
                "numero_contrato": str(first + index).zfill(10),
                "plano": plan_name,
                "descricao": ctx.rng.choice(CONTRACT_KINDS),
                "id_plano": plan_id,
            }
        )
    return rows


def _plans(ctx: _Day) -> list[dict[str, Any]]:
    return [
        {"id_plano": plan_id, "nome_plano": name, "valor_mensal": value} for plan_id, name, value in PLANS
    ]


def _beneficiaries(ctx: _Day, contracts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    members: dict[str, int] = {}
    for index in range(ctx.rows):
        # Every contract has its holder first; the rest are dependants of random contracts.
        contract = contracts[
            index if index < len(contracts) // 2 else ctx.rng.randrange(len(contracts) // 2 or 1)
        ]
        number = contract["numero_contrato"]
        members[number] = members.get(number, -1) + 1
        sex = ctx.rng.choice("FM")
        rows.append(
            {
                "id_beneficiario": f"{number}{members[number]:02d}",
                "numero_contrato": number,
                "nome": ctx.fake.name_female() if sex == "F" else ctx.fake.name_male(),
                "data_nascimento": ctx.when(dt.date(1940, 1, 1), dt.date(2023, 12, 31)),
                "sexo": sex,
                "parentesco": "TI" if members[number] == 0 else ctx.rng.choice(("CJ", "FI", "OU")),
                "uf": ctx.fake.estado_sigla(),
                "data_inclusao": ctx.when(dt.date(2015, 1, 1), ctx.day),
            }
        )
    return rows


def _payments(ctx: _Day, contracts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    month = ctx.day.replace(day=1)
    values = {plan_id: value for plan_id, _, value in PLANS}
    rows = []
    for index in range(ctx.rows):
        contract = contracts[index % len(contracts)]
        paid = ctx.rng.random() > 0.1
        rows.append(
            {
                "id_pagamento": f"{ctx.day:%y%m%d}{index:06d}",
                "numero_contrato": contract["numero_contrato"],
                "competencia": month,
                "data_pagamento": ctx.when(month, ctx.day + dt.timedelta(days=1)) if paid else None,
                "valor_pago": values[contract["id_plano"]] if paid else Decimal(0),
                "forma_pagamento": ctx.rng.choice(PAYMENT_METHODS),
            }
        )
    return rows


def _coverages(ctx: _Day) -> list[dict[str, Any]]:
    return [
        {
            "id_plano": plan_id,
            "codigo_cobertura": code,
            "descricao": text,
            "carencia_dias": waiting if plan_id < 5 else waiting // 2,
            "coparticipacao_pct": Decimal(30 - 5 * (plan_id - 1)) if plan_id < 6 else None,
        }
        for plan_id, _, _ in PLANS
        for code, text, waiting in COVERAGES[: 4 + plan_id // 2]
    ]


def _providers(ctx: _Day) -> list[dict[str, Any]]:
    return [
        {
            "id_prestador": f"PR{index:06d}",
            "cnpj": ctx.fake.cnpj().replace(".", "").replace("/", "").replace("-", ""),
            "razao_social": ctx.fake.company(),
            "especialidade": ctx.rng.choice(SPECIALTIES),
            "cidade": ctx.fake.city(),
            "uf": ctx.fake.estado_sigla(),
            "data_credenciamento": ctx.when(dt.date(2005, 1, 1), ctx.day),
        }
        for index in range(max(ctx.rows // 10, 20))
    ]


def _claims(
    ctx: _Day, beneficiaries: list[dict[str, Any]], providers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for index in range(ctx.rows):
        beneficiary = beneficiaries[ctx.rng.randrange(len(beneficiaries))]
        presented = Decimal(ctx.rng.randrange(8_000, 2_500_000)) / 100
        status = ctx.rng.choices("ANP", weights=(80, 10, 10))[0]
        rows.append(
            {
                "id_sinistro": f"{ctx.day:%y%m%d}{index:06d}",
                "numero_contrato": beneficiary["numero_contrato"],
                "id_beneficiario": beneficiary["id_beneficiario"],
                "id_prestador": providers[ctx.rng.randrange(len(providers))]["id_prestador"],
                "codigo_cobertura": ctx.rng.choice(COVERAGES)[0],
                "data_atendimento": ctx.when(ctx.day - dt.timedelta(days=30), ctx.day),
                "valor_apresentado": presented,
                "valor_aprovado": presented if status == "A" else None,
                "situacao": status,
            }
        )
    return rows


def _damage(line: str, layout: Layout, rng: random.Random) -> str:
    """One realistic defect; the line keeps its length unless the defect is the length."""
    numbers = [item for item in layout.fields if item.type in (FieldType.INT, FieldType.DECIMAL)]
    dates = [item for item in layout.fields if item.type is FieldType.DATE]
    required = [item for item in layout.fields if item.required]
    kinds: list[Callable[[], str]] = [lambda: line[: -min(3, len(line) - 1)]]
    if numbers:
        target = rng.choice(numbers)
        kinds.append(lambda: _put(line, target, "12A4B".ljust(target.length, "X")))
    if dates:
        target_date = rng.choice(dates)
        kinds.append(lambda: _put(line, target_date, _impossible_date(target_date.date_format or "")))
    if required:
        target_required = rng.choice(required)
        kinds.append(lambda: _put(line, target_required, ""))
    return rng.choice(kinds)()


def _impossible_date(date_format: str) -> str:
    """31 February, or month 13 when the format has no day."""
    impossible = date_format.replace("%d", "31").replace("%m", "02" if "%d" in date_format else "13")
    return dt.date(2024, 1, 1).strftime(impossible)


def _put(line: str, item: Field, text: str) -> str:
    return line[: item.offset] + text[: item.length].ljust(item.length) + line[item.offset + item.length :]


def _control(record: ControlRecord | None, layout: Layout, values: Mapping[str, Any]) -> list[str]:
    return [render_record(record.fields, layout.record_length, values)] if record else []


def _render_file(layout: Layout, rows: list[dict[str, Any]], ctx: _Day) -> str:
    lines = [render_record(layout.fields, layout.record_length, row) for row in rows]
    if layout.name not in CLEAN:
        lines = [
            _damage(line, layout, ctx.rng) if ctx.rng.random() < BAD_LINE_SHARE else line for line in lines
        ]
    header = _control(
        layout.header,
        layout,
        {"tipo_registro": "HDR", "data_geracao": ctx.day, "remetente": "Operadora Saúde Brasil"},
    )
    trailer = _control(layout.trailer, layout, {"tipo_registro": "TRL", "quantidade_registros": len(lines)})
    _, terminator, trailing_blanks = FILES[layout.name]
    text = terminator.join([*header, *lines, *trailer]) + terminator
    return text + terminator * 2 if trailing_blanks else text


def sample_file_name(layout: Layout, day: dt.date) -> str:
    return layout.file_pattern.replace("*", f"{day:%Y%m%d}")


def write_sample_day(
    store: ObjectStore, day: str, rows: int, seed: int, layouts: Mapping[str, Layout] | None = None
) -> list[str]:
    """Writes the seven files of ``day`` to ``landing/positional/<day>/`` and returns their keys."""
    found = layouts or default_layouts()
    date = dt.date.fromisoformat(day)
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    ctx = _Day(date, random.Random(seed), fake, max(rows, 1))
    contracts = _contracts(ctx)
    beneficiaries = _beneficiaries(ctx, contracts)
    providers = _providers(ctx)
    content = {
        "contracts": contracts,
        "plan_catalog": _plans(ctx),
        "beneficiaries": beneficiaries,
        "payments": _payments(ctx, contracts),
        "coverages": _coverages(ctx),
        "providers": providers,
        "claims": _claims(ctx, beneficiaries, providers),
    }
    keys = []
    for name, records in content.items():
        layout = found[name]
        key = landing_key(day, sample_file_name(layout, date))
        store.write_bytes(key, _render_file(layout, records, ctx).encode(FILES[name][0]))
        keys.append(key)
    return keys
