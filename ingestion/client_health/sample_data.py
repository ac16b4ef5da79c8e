"""Deterministic, realistic client files for a day: the three formats, as the seed system sends them.

Every client appears in at least one file; about a third reappear in another file (or the same one)
with a later or earlier ``data_cadastro`` and sometimes a new address, so deduplication has work to
do. pt_BR names carry accents, some a title (``Sr.``, ``Dra.``...) or repeated spaces; CPFs come
punctuated, or as bare digits in part of the CSV. A small documented share of rows is bad, so each
quality reason shows up in quarantine: wrong check digits, repeated digits and wrong lengths (1.5%
of rows together), a missing name (0.3%), an impossible birth date (0.3%) and an unknown state
(0.2%). Optional fields are sometimes null (1% to 3% each).

Generation is vectorised (NumPy + Arrow, files written by pyarrow and DuckDB) so that the benchmark's
millions of rows take seconds; the same ``seed`` gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from faker import Faker

from core.calendar import SAO_PAULO
from ingestion.client_health.contract import (
    CSV_DELIMITER,
    FILE_NAMES,
    FORMATS,
    LANDING_ZONE,
    delivered_schema,
)

# UF, name, a city of that state.
STATES: tuple[tuple[str, str, str], ...] = (
    ("AC", "Acre", "Rio Branco"),
    ("AL", "Alagoas", "Maceió"),
    ("AP", "Amapá", "Macapá"),
    ("AM", "Amazonas", "Manaus"),
    ("BA", "Bahia", "Salvador"),
    ("CE", "Ceará", "Fortaleza"),
    ("DF", "Distrito Federal", "Brasília"),
    ("ES", "Espírito Santo", "Vitória"),
    ("GO", "Goiás", "Goiânia"),
    ("MA", "Maranhão", "São Luís"),
    ("MT", "Mato Grosso", "Cuiabá"),
    ("MS", "Mato Grosso do Sul", "Campo Grande"),
    ("MG", "Minas Gerais", "Belo Horizonte"),
    ("PA", "Pará", "Belém"),
    ("PB", "Paraíba", "João Pessoa"),
    ("PR", "Paraná", "Curitiba"),
    ("PE", "Pernambuco", "Recife"),
    ("PI", "Piauí", "Teresina"),
    ("RJ", "Rio de Janeiro", "Rio de Janeiro"),
    ("RN", "Rio Grande do Norte", "Natal"),
    ("RS", "Rio Grande do Sul", "Porto Alegre"),
    ("RO", "Rondônia", "Porto Velho"),
    ("RR", "Roraima", "Boa Vista"),
    ("SC", "Santa Catarina", "Florianópolis"),
    ("SP", "São Paulo", "São Paulo"),
    ("SE", "Sergipe", "Aracaju"),
    ("TO", "Tocantins", "Palmas"),
)
# Populous states get more clients, as in the real portfolio.
_STATE_WEIGHTS = np.array(
    [1, 3, 1, 4, 15, 9, 3, 4, 7, 7, 3, 3, 21, 8, 4, 11, 9, 3, 17, 3, 11, 2, 1, 7, 46, 2, 2], dtype=float
)
CONVENIOS: tuple[str, ...] = (
    "SUS", "Unimed", "Bradesco Saúde", "SulAmérica", "Amil", "Hapvida", "NotreDame Intermédica", "Porto Seguro Saúde",
)  # fmt: skip
_STATE_NAMES_ASCII = np.array(
    [
        "".join(ch for ch in unicodedata.normalize("NFD", name) if not unicodedata.combining(ch))
        for _, name, _ in STATES
    ],
    dtype=object,
)
_STATE_NAMES_UPPER = np.array([name.upper() for _, name, _ in STATES], dtype=object)
_CONVENIO_WEIGHTS = np.array([30, 20, 12, 10, 10, 8, 6, 4], dtype=float)
TITLES: tuple[str, ...] = ("Sr.", "Sra.", "Srta.", "Dr.", "Dra.")
_FEMALE_TITLES, _MALE_TITLES = ("Sra.", "Srta.", "Dra."), ("Sr.", "Dr.")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
FIRST_REGISTRATION = dt.datetime(2019, 1, 1)
NAME_POOL = 4000
STREET_POOL = 1500
BAIRRO_POOL = 600

# Shares of bad rows (documented above) and of nulls in optional fields.
BAD_CPF_SHARE = 0.015
MISSING_NAME_SHARE = 0.003
BAD_BIRTH_DATE_SHARE = 0.003
UNKNOWN_STATE_SHARE = 0.002
DUPLICATE_SHARE = 0.35
NULL_SHARES: dict[str, float] = {
    "logradouro": 0.02, "bairro": 0.02, "numero": 0.03, "data_nascimento": 0.01, "sexo": 0.02, "convenio": 0.01,
    "pais": 0.01, "cidade": 0.01,
}  # fmt: skip


@dataclass(frozen=True)
class ClientRows:
    """One row per delivered record, in delivery order, before rendering into a format."""

    fmt: np.ndarray  # index into FORMATS
    cpf: np.ndarray  # 11-digit strings (some deliberately invalid)
    nome: np.ndarray  # object array; None = missing
    birth: np.ndarray  # datetime64[D]
    registered: np.ndarray  # datetime64[s], Sao Paulo wall time
    female: np.ndarray  # bool
    state: np.ndarray  # index into STATES
    street: np.ndarray
    numero: np.ndarray  # int
    bairro: np.ndarray
    convenio: np.ndarray  # index into CONVENIOS
    nulls: dict[str, np.ndarray]
    bad_birth: np.ndarray  # bool
    unknown_state: np.ndarray  # bool


def cpf_digits(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` valid 11-digit CPFs (never all digits equal) as a (count, 11) int array."""
    base = rng.integers(0, 10, size=(count, 9))
    repeated = (base == base[:, :1]).all(axis=1)
    base[repeated, 0] = (base[repeated, 0] + 1) % 10
    first = (base * np.arange(10, 1, -1)).sum(axis=1) * 10 % 11 % 10
    with_first = np.column_stack([base, first])
    second = (with_first * np.arange(11, 1, -1)).sum(axis=1) * 10 % 11 % 10
    return np.column_stack([with_first, second])


def _digits_to_text(digits: np.ndarray) -> np.ndarray:
    return np.array(["".join(map(str, row)) for row in digits.tolist()], dtype=object)


def punctuate(cpfs: pa.Array) -> pa.Array:
    """``12345678909`` -> ``123.456.789-09`` (only for 11-character values; others pass unchanged)."""
    parts = [pc.utf8_slice_codeunits(cpfs, start, stop) for start, stop in ((0, 3), (3, 6), (6, 9), (9, 11))]
    dotted = pc.binary_join_element_wise(parts[0], parts[1], parts[2], ".")
    formatted = pc.binary_join_element_wise(dotted, parts[3], "-")
    return pc.if_else(pc.equal(pc.utf8_length(cpfs), 11), formatted, cpfs)


def _pools(seed: int) -> tuple[list[str], list[str], list[str], list[str]]:
    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    female = [f"{fake.first_name_female()} {fake.last_name()} {fake.last_name()}" for _ in range(NAME_POOL)]
    male = [f"{fake.first_name_male()} {fake.last_name()} {fake.last_name()}" for _ in range(NAME_POOL)]
    streets = [fake.street_name() for _ in range(STREET_POOL)]
    bairros = [fake.bairro() for _ in range(BAIRRO_POOL)]
    return female, male, streets, bairros


def _decorate_names(rng: np.random.Generator, names: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Adds a title to ~10% of names and doubles a space in ~5%, as typed by the seed system's users."""
    decorated = names.copy()
    titled = rng.random(len(names)) < 0.10
    for index in np.flatnonzero(titled):
        options = _FEMALE_TITLES if female[index] else _MALE_TITLES
        decorated[index] = f"{options[rng.integers(len(options))]} {decorated[index]}"
    for index in np.flatnonzero(rng.random(len(names)) < 0.05):
        decorated[index] = str(decorated[index]).replace(" ", "  ", 1)
    return decorated


def generate_rows(rows: int, day: dt.date, seed: int) -> ClientRows:
    rng = np.random.default_rng(seed)
    female_pool, male_pool, streets, bairros = _pools(seed)
    clients = max(int(rows * (1 - DUPLICATE_SHARE)), 1)
    person = np.concatenate([np.arange(clients), rng.integers(0, clients, size=rows - clients)])
    rng.shuffle(person)

    female = (rng.random(clients) < 0.52)[person]
    name_index = rng.integers(0, NAME_POOL, size=clients)[person]
    names = np.where(
        female, np.array(female_pool, dtype=object)[name_index], np.array(male_pool, dtype=object)[name_index]
    )
    cpf = _digits_to_text(cpf_digits(rng, clients))[person]
    birth_days = rng.integers(
        (dt.date(1940, 1, 1) - dt.date(1970, 1, 1)).days,
        (dt.date(2006, 12, 31) - dt.date(1970, 1, 1)).days,
        size=clients,
    )
    span = int((dt.datetime.combine(day, dt.time(23, 59, 59)) - FIRST_REGISTRATION).total_seconds())
    registered = np.datetime64(FIRST_REGISTRATION, "s") + rng.integers(0, span, size=rows).astype(
        "timedelta64[s]"
    )
    state = rng.choice(len(STATES), p=_STATE_WEIGHTS / _STATE_WEIGHTS.sum(), size=clients)[person]
    # A re-delivered client sometimes moved: the street is drawn per row for a fifth of the rows.
    moved = rng.random(rows) < 0.2
    street_index = np.where(
        moved, rng.integers(0, STREET_POOL, size=rows), rng.integers(0, STREET_POOL, size=clients)[person]
    )

    bad_cpf = rng.random(rows) < BAD_CPF_SHARE
    cpf = cpf.copy()
    for position, index in enumerate(np.flatnonzero(bad_cpf)):
        value = str(cpf[index])
        kind = position % 3
        if kind == 0:  # wrong check digit
            cpf[index] = value[:10] + str((int(value[10]) + 1) % 10)
        elif kind == 1:  # all digits equal: passes the mod-11 arithmetic but is not a CPF
            cpf[index] = value[0] * 11
        else:  # a digit lost on the way
            cpf[index] = value[:9]
    nome = _decorate_names(rng, names, female)
    nome[rng.random(rows) < MISSING_NAME_SHARE] = None
    return ClientRows(
        fmt=rng.integers(0, len(FORMATS), size=rows),
        cpf=cpf,
        nome=nome,
        birth=np.datetime64("1970-01-01", "D") + birth_days[person].astype("timedelta64[D]"),
        registered=registered,
        female=female,
        state=state,
        street=np.array(streets, dtype=object)[street_index],
        numero=rng.integers(1, 4000, size=rows),
        bairro=np.array(bairros, dtype=object)[rng.integers(0, BAIRRO_POOL, size=clients)[person]],
        convenio=rng.choice(len(CONVENIOS), p=_CONVENIO_WEIGHTS / _CONVENIO_WEIGHTS.sum(), size=clients)[
            person
        ],
        nulls={column: rng.random(rows) < share for column, share in NULL_SHARES.items()},
        bad_birth=rng.random(rows) < BAD_BIRTH_DATE_SHARE,
        unknown_state=rng.random(rows) < UNKNOWN_STATE_SHARE,
    )


def _nullable(values: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(values), values.type), values)


def _strings(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string())


def _render(data: ClientRows, fmt: str, day: dt.date) -> pa.Table:
    """The records of one format, in that format's own columns and text conventions."""
    keep = np.flatnonzero(data.fmt == FORMATS.index(fmt))
    n = len(keep)
    nulls = {column: mask[keep] for column, mask in data.nulls.items()}
    female = data.female[keep]
    birth = pa.array(data.birth[keep]).cast(pa.timestamp("s"))
    registered = pa.array(data.registered[keep])
    state = data.state[keep]
    uf = np.array([s[0] for s in STATES], dtype=object)[state]
    state_name = np.array([s[1] for s in STATES], dtype=object)[state]
    city = np.array([s[2] for s in STATES], dtype=object)[state]
    cpf = _strings(data.cpf[keep])
    sexo = _nullable(_strings(np.where(female, "Fem", "Masc")), nulls["sexo"])
    convenio = _nullable(_strings(np.array(CONVENIOS, dtype=object)[data.convenio[keep]]), nulls["convenio"])
    pais = _nullable(pa.array(["Brasil"] * n, type=pa.string()), nulls["pais"])
    bad_birth = data.bad_birth[keep]
    unknown = data.unknown_state[keep]
    common = {
        "logradouro": _nullable(_strings(data.street[keep]), nulls["logradouro"]),
        "bairro": _nullable(_strings(data.bairro[keep]), nulls["bairro"]),
        "cidade": _nullable(_strings(city), nulls["cidade"]),
        "convenio": convenio,
        "sexo": sexo,
    }
    numero = _nullable(pa.array(data.numero[keep], type=pa.int32()), nulls["numero"])

    def birth_text(pattern: str, impossible: str) -> pa.Array:
        text = pc.if_else(
            pa.array(bad_birth), pa.scalar(impossible), pc.strftime(birth, format=pattern, locale="C")
        )
        return _nullable(text, nulls["data_nascimento"])

    if fmt == "parquet":
        # Upper-case UFs mostly; some systems upstream send them lower-case.
        lower = np.arange(n) % 7 == 3
        uf_text = np.where(lower, np.char.lower(uf.astype(str)).astype(object), uf)
        columns = {
            "documento_cpf": punctuate(cpf),
            "nome_completo": _strings(data.nome[keep]),
            "data_nascimento": birth_text("%Y-%m-%d", "1990-13-01"),
            "data_cadastro": pc.strftime(registered, format="%Y-%m-%dT%H:%M:%S"),
            "sexo": sexo,
            "uf": _strings(np.where(unknown, "XX", uf_text)),
            "pais": pais,
            "logradouro": common["logradouro"],
            "numero": numero,
            "bairro": common["bairro"],
            "cidade": common["cidade"],
            "convenio": convenio,
        }
    elif fmt == "csv":
        bare = np.arange(n) % 2 == 0
        numero_text = pc.binary_join_element_wise(pc.cast(numero, pa.string()), pa.scalar("0"), ".")
        columns = {
            "nome": _strings(data.nome[keep]),
            "cpf": pc.if_else(pa.array(bare), cpf, punctuate(cpf)),
            "data_nascimento": birth_text("%d/%m/%Y", "31/02/1990"),
            "data_cadastro": pc.strftime(registered, format="%Y-%m-%d %H:%M:%S"),
            "sexo": sexo,
            "pais_cadastro": pais,
            "logradouro": common["logradouro"],
            "numero": numero_text,
            "bairro": common["bairro"],
            "cidade": common["cidade"],
            "estado": _strings(np.where(unknown, "ZZ", uf)),
            "convenio": convenio,
        }
    else:
        months = np.array(_MONTHS, dtype=object)[
            pc.subtract(pc.month(birth), 1).to_numpy(zero_copy_only=False)
        ]
        english = pc.binary_join_element_wise(
            _strings(months), pc.cast(pc.day(birth), pa.string()), pa.scalar(" ")
        )
        english = pc.binary_join_element_wise(english, pc.cast(pc.year(birth), pa.string()), ", ")
        english = pc.if_else(pa.array(bad_birth), pa.scalar("Smarch 20, 1985"), english)
        # State names as typed by people: mostly right, some without accents or in capitals.
        variant = np.arange(n) % 10
        spelled = np.where(
            variant == 1,
            _STATE_NAMES_ASCII[state],
            np.where(variant == 2, _STATE_NAMES_UPPER[state], state_name),
        )
        local = pc.assume_timezone(registered, SAO_PAULO.key, ambiguous="earliest", nonexistent="earliest")
        columns = {
            "nome": _strings(data.nome[keep]),
            "cpf": punctuate(cpf),
            "data_nascimento": _nullable(english, nulls["data_nascimento"]),
            "data_cadastro": pc.cast(pc.cast(local, pa.timestamp("ms", tz="UTC")), pa.int64()),
            "sexo": sexo,
            "pais": pais,
            "logradouro": common["logradouro"],
            "numero": numero,
            "bairro": common["bairro"],
            "cidade": common["cidade"],
            "estado": _strings(np.where(unknown, "Atlântida", spelled)),
            "convenio": convenio,
        }
    table = pa.table(columns)
    if fmt == "csv":
        return table
    return table.cast(delivered_schema(fmt))


def generate_tables(rows: int, day: dt.date, seed: int = 7) -> dict[str, pa.Table]:
    data = generate_rows(rows, day, seed)
    return {fmt: _render(data, fmt, day) for fmt in FORMATS}


def write_tables(tables: dict[str, pa.Table], folder: Path, json_layout: str = "lines") -> dict[str, Path]:
    """Writes ``clientes.parquet|csv|json`` into ``folder`` (``json_layout``: ``lines`` or ``array``)."""
    if json_layout not in {"lines", "array"}:
        raise ValueError(f"json_layout must be 'lines' or 'array', got {json_layout!r}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = {fmt: folder / FILE_NAMES[fmt] for fmt in FORMATS}
    pq.write_table(tables["parquet"], paths["parquet"], compression="snappy")
    with duckdb.connect() as connection:
        connection.execute("SET preserve_insertion_order = true")
        connection.register("csv_table", tables["csv"])
        connection.register("json_table", tables["json"])
        connection.execute(
            f"COPY csv_table TO '{paths['csv']}' (FORMAT csv, DELIMITER '{CSV_DELIMITER}', HEADER true, NULLSTR '')"
        )
        array = "true" if json_layout == "array" else "false"
        connection.execute(f"COPY json_table TO '{paths['json']}' (FORMAT json, ARRAY {array})")
    return paths


def write_client_health_day(
    landing_root: Path, day: dt.date, rows: int, seed: int = 7, json_layout: str = "lines"
) -> list[Path]:
    """Writes the day's three files under ``landing_root/client_health/<day>/`` with fixed delivery times."""
    folder = landing_root / LANDING_ZONE / day.isoformat()
    paths = write_tables(generate_tables(rows, day, seed), folder, json_layout)
    delivered = dt.datetime.combine(day, dt.time(6, 0), tzinfo=SAO_PAULO)
    for minute, fmt in enumerate(FORMATS):
        stamp = (delivered + dt.timedelta(minutes=5 * minute)).timestamp()
        os.utime(paths[fmt], (stamp, stamp))
    return [paths[fmt] for fmt in FORMATS]
