"""Publication of rows to a MySQL table (RDS MySQL on AWS, any MySQL or MariaDB server by URL locally).

How rows travel: each Arrow record batch is one transaction of multi-row
``INSERT ... ON DUPLICATE KEY UPDATE`` statements on the table's natural key (its primary key), so
publishing is an idempotent upsert: running it twice, or rerunning after a kill, ends with the same
rows. A kill loses at most the batches in flight, which the rerun writes again. The SQL literals are
rendered column-wise by Arrow compute instead of one Python value at a time, and a few connections
(``workers``) commit batches side by side while the next one is rendered; that is what makes this
fast, and it needs nothing the server may have disabled (``LOAD DATA LOCAL`` is off by default on
MySQL 8). With more than one worker, batches commit in any order, so a key must appear in one batch
only (the employee query guarantees it). Our session runs with ``NO_BACKSLASH_ESCAPES`` so a string
literal only needs its quotes doubled, and in strict mode so a value that does not fit fails instead
of being truncated.

What is published for the partner CSV source (DESIGN.md: "rows also published to MySQL"): the cleaned
employee rows of ``silver.stg_partner_csv__employees``, one per natural key (the latest delivery)
(partner, id_funcionario, data_referencia), not ``gold.salary_averages``: gold is an aggregate the
analysts already query in Athena, while the operational consumers of MySQL look employees up one by
one. The CPF does not leave silver raw (LGPD): it is published masked as ``***.456.789-**``, the
pattern Brazilian government bodies use to publish CPFs, which still tells two namesakes apart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pymysql
from pydantic import SecretStr

from core.secrets import resolve_secret
from core.settings import Settings
from core.table_readers import CatalogTableReader, TableReader

logger = logging.getLogger(__name__)

SESSION_SQL_MODE = "STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES,NO_ENGINE_SUBSTITUTION"
# Well under the 16 MiB default max_allowed_packet of MariaDB (64 MiB on MySQL 8).
MAX_STATEMENT_BYTES = 4 << 20
DEFAULT_ROWS_PER_BATCH = 10_000
# Two connections keep the server busy while the next batch is rendered (about 2x on two cores).
DEFAULT_WORKERS = 2
DEADLOCK_RETRIES = 3
_RETRYABLE_ERRORS = {1205, 1213}  # lock wait timeout, deadlock: the server rolled the batch back
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_URL_SCHEMES = {"mysql", "mysql+pymysql", "mariadb", "mariadb+pymysql"}


class MySqlPublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class MySqlColumn:
    name: str
    sql_type: str  # as written in CREATE TABLE, e.g. "VARCHAR(255)"
    nullable: bool = True


@dataclass(frozen=True)
class MySqlTableSpec:
    name: str
    columns: tuple[MySqlColumn, ...]
    key: tuple[str, ...]

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        for identifier in (self.name, *names):
            if not _IDENTIFIER.fullmatch(identifier):
                raise ValueError(f"{identifier!r} is not a plain SQL identifier")
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        if not self.key or not set(self.key) <= set(names):
            raise ValueError(f"table {self.name}: key {self.key} must be a non-empty subset of the columns")
        if any(column.nullable for column in self.columns if column.name in self.key):
            raise ValueError(f"table {self.name}: key columns cannot be nullable")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def create_sql(self) -> str:
        columns = [
            f"{_quote(column.name)} {column.sql_type}{'' if column.nullable else ' NOT NULL'}"
            for column in self.columns
        ]
        key = ", ".join(_quote(name) for name in self.key)
        # Binary collation: keys that differ in DuckDB (case, accents) stay different rows here.
        return (
            f"CREATE TABLE IF NOT EXISTS {_quote(self.name)} ({', '.join(columns)}, PRIMARY KEY ({key}))"
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        )

    def upsert_prefix(self) -> str:
        return f"INSERT INTO {_quote(self.name)} ({', '.join(_quote(n) for n in self.column_names)}) VALUES "

    def upsert_suffix(self) -> str:
        updates = [f"{_quote(n)} = VALUES({_quote(n)})" for n in self.column_names if n not in self.key]
        # A table made only of key columns has nothing to update; re-assigning a key column is a no-op.
        first_key = _quote(self.key[0])
        return " ON DUPLICATE KEY UPDATE " + (", ".join(updates) or f"{first_key} = {first_key}")


@dataclass(frozen=True)
class MySqlTarget:
    host: str
    port: int
    user: str
    password: SecretStr
    database: str
    unix_socket: str | None = None

    @property
    def safe_url(self) -> str:
        """The URL with the password replaced, for logs and error messages."""
        return f"mysql://{quote(self.user, safe='')}:***@{self.host}:{self.port}/{self.database}"

    def connect(self) -> pymysql.connections.Connection[Any]:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password.get_secret_value(),
            database=self.database,
            unix_socket=self.unix_socket,
            charset="utf8mb4",
            autocommit=False,
            connect_timeout=10,
            init_command=f"SET SESSION sql_mode = '{SESSION_SQL_MODE}', time_zone = '+00:00'",
        )


def parse_mysql_url(url: str | SecretStr) -> MySqlTarget:
    """``mysql://user:password@host:port/database[?unix_socket=/path]``; user and password percent-encoded."""
    text = url.get_secret_value() if isinstance(url, SecretStr) else url
    parts = urlsplit(text)
    if parts.scheme not in _URL_SCHEMES:
        raise ValueError(f"MySQL URL must start with mysql://, got scheme {parts.scheme!r}")
    database = parts.path.lstrip("/")
    if not parts.hostname or not database or parts.username is None:
        raise ValueError(
            "MySQL URL needs a user, a host and a database: mysql://user:password@host:port/database"
        )
    options = parse_qs(parts.query)
    return MySqlTarget(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username),
        password=SecretStr(unquote(parts.password or "")),
        database=unquote(database),
        unix_socket=options["unix_socket"][0] if "unix_socket" in options else None,
    )


def mysql_url_from_secret(secret: SecretStr) -> SecretStr:
    """A secret holds the URL itself or the JSON that RDS rotation keeps (username, password, host...)."""
    text = secret.get_secret_value().strip()
    if not text.startswith("{"):
        return SecretStr(text)
    try:
        fields: dict[str, Any] = json.loads(text)
        user, password = quote(str(fields["username"]), safe=""), quote(str(fields["password"]), safe="")
        host, port = fields["host"], int(fields.get("port", 3306))
        database = fields.get("dbname") or fields["database"]
    except (ValueError, KeyError) as exc:
        # The message names what is missing, never a value of the secret.
        raise ValueError(
            f"MySQL secret JSON needs username, password, host and dbname: {type(exc).__name__}"
        ) from None
    return SecretStr(f"mysql://{user}:{password}@{host}:{port}/{quote(str(database), safe='')}")


def configured_mysql_url(settings: Settings, *, secrets_client: Any | None = None) -> SecretStr | None:
    secret = resolve_secret(settings, settings.mysql_url, settings.mysql_secret_id, client=secrets_client)
    return None if secret is None else mysql_url_from_secret(secret)


@dataclass(frozen=True)
class PublishResult:
    table: str
    target: str  # safe URL, no password
    rows: int
    batches: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _quote(identifier: str) -> str:
    return f"`{identifier}`"


def _quoted_text(values: pa.Array) -> pa.Array:
    if pc.any(pc.match_substring(values, "'")).as_py():
        values = pc.replace_substring(values, "'", "''")
    return pc.binary_join_element_wise("'", values, "'", "")


def sql_literals(values: pa.Array) -> pa.Array:
    """One SQL literal per value (``NULL`` for nulls), for a session in NO_BACKSLASH_ESCAPES mode."""
    data_type = values.type
    if pa.types.is_boolean(data_type):
        text = pc.if_else(values, "1", "0")
    elif pa.types.is_integer(data_type) or pa.types.is_decimal(data_type):
        text = pc.cast(values, pa.string())
    elif pa.types.is_floating(data_type):
        if not pc.all(pc.or_kleene(pc.is_finite(values), pc.is_null(values))).as_py():
            raise MySqlPublishError("NaN and infinity have no MySQL representation")
        text = pc.cast(values, pa.string())
    elif pa.types.is_date(data_type):
        text = _quoted_text(pc.cast(values, pa.string()))
    elif pa.types.is_timestamp(data_type):
        # Dropping the zone keeps the UTC wall time, which is what the session's time_zone expects.
        naive = pc.cast(values, pa.timestamp("us"), safe=False)
        text = _quoted_text(pc.cast(naive, pa.string()))
    elif pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        if pc.any(pc.match_substring(values, "\x00")).as_py():
            raise MySqlPublishError("text values cannot contain NUL characters")
        text = _quoted_text(pc.cast(values, pa.string()))
    else:
        raise MySqlPublishError(f"no MySQL literal for Arrow type {data_type}")
    return pc.fill_null(text, "NULL")


def render_rows(batch: pa.RecordBatch, table: MySqlTableSpec) -> pa.Array:
    """Each row of ``batch`` as a ``(v1,v2,...)`` tuple in the order of ``table.columns``."""
    missing = [name for name in table.column_names if name not in batch.schema.names]
    if missing:
        raise MySqlPublishError(f"table {table.name}: the rows have no column(s) {', '.join(missing)}")
    literals = [sql_literals(batch.column(name)) for name in table.column_names]
    return pc.binary_join_element_wise("(", pc.binary_join_element_wise(*literals, ","), ")", "")


def upsert_statements(batch: pa.RecordBatch, table: MySqlTableSpec) -> Iterator[str]:
    """The batch as few INSERT ... ON DUPLICATE KEY UPDATE statements, each under MAX_STATEMENT_BYTES."""
    rows = render_rows(batch, table)
    sizes = pc.binary_length(rows).to_pylist()
    texts = rows.to_pylist()
    prefix, suffix = table.upsert_prefix(), table.upsert_suffix()
    start, size = 0, 0
    for index, row_size in enumerate(sizes):
        if index > start and size + row_size + 1 > MAX_STATEMENT_BYTES:
            yield prefix + ",".join(texts[start:index]) + suffix
            start, size = index, 0
        size += row_size + 1
    if start < len(texts):
        yield prefix + ",".join(texts[start:]) + suffix


def _scrubbed(error: BaseException, target: MySqlTarget) -> str:
    message = f"{type(error).__name__}: {error}"
    password = target.password.get_secret_value()
    return message.replace(password, "***") if password else message


class _Writers:
    """Connections that each commit whole batches, so the server writes while the caller renders."""

    def __init__(self, connections: list[pymysql.connections.Connection[Any]]) -> None:
        self._queue: queue.Queue[tuple[list[str], int] | None] = queue.Queue(maxsize=len(connections))
        self._lock = threading.Lock()
        self.error: Exception | None = None
        self.rows = self.batches = 0
        self._threads = [threading.Thread(target=self._run, args=(c,), daemon=True) for c in connections]
        for thread in self._threads:
            thread.start()

    def submit(self, statements: list[str], rows: int) -> None:
        self._queue.put((statements, rows))

    def close(self) -> None:
        """Lets the queued batches finish, then stops the workers and their connections."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _run(self, connection: pymysql.connections.Connection[Any]) -> None:
        try:
            while (work := self._queue.get()) is not None:
                if self.error is not None:
                    continue  # after a failure, keep draining so submit() never blocks
                try:
                    self._write(connection, *work)
                except Exception as exc:
                    self._fail(exc)
        finally:
            with contextlib.suppress(pymysql.MySQLError):  # already closed when the server went away
                connection.close()

    def _fail(self, error: Exception) -> None:
        with self._lock:
            self.error = self.error or error

    def _write(
        self, connection: pymysql.connections.Connection[Any], statements: list[str], rows: int
    ) -> None:
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)
                connection.commit()
            except pymysql.MySQLError as exc:
                with contextlib.suppress(pymysql.MySQLError):
                    connection.rollback()
                # A deadlock rolls the whole batch back, and an upsert is safe to replay.
                if exc.args and exc.args[0] in _RETRYABLE_ERRORS and attempt < DEADLOCK_RETRIES:
                    continue
                raise
            with self._lock:
                self.rows += rows
                self.batches += 1
            return


def publish_batches(
    url: str | SecretStr,
    table: MySqlTableSpec,
    batches: Iterable[pa.RecordBatch],
    *,
    workers: int = DEFAULT_WORKERS,
) -> PublishResult:
    """Creates ``table`` when absent, then upserts every batch, one transaction per batch."""
    target = parse_mysql_url(url)
    started = time.perf_counter()
    connections: list[pymysql.connections.Connection[Any]] = []
    try:
        connections.extend(target.connect() for _ in range(max(workers, 1)))
        with connections[0].cursor() as cursor:
            cursor.execute(table.create_sql())
    except pymysql.MySQLError as exc:
        for connection in connections:
            with contextlib.suppress(pymysql.MySQLError):
                connection.close()
        raise MySqlPublishError(
            f"cannot prepare {table.name} on {target.safe_url}: {_scrubbed(exc, target)}"
        ) from None
    writers = _Writers(connections)
    try:
        for batch in batches:
            if writers.error is not None:
                break
            if batch.num_rows:
                writers.submit(list(upsert_statements(batch, table)), batch.num_rows)
    finally:
        writers.close()
    if writers.error is not None:
        raise MySqlPublishError(
            f"publishing {table.name} to {target.safe_url} failed ({writers.rows} rows committed before):"
            f" {_scrubbed(writers.error, target)}"
        ) from None
    seconds = round(time.perf_counter() - started, 3)
    result = PublishResult(table.name, target.safe_url, writers.rows, writers.batches, seconds)
    logger.info(json.dumps({"event": "mysql_publish", **result.as_dict()}, sort_keys=True))
    return result


# --- the partner CSV employees -------------------------------------------------------------------

# The staging table, not the latest-delivery view over it: a view has no files to read on the AWS path
# (Athena keeps it as SQL in Glue), and employees_sql ranks the deliveries exactly as the view does.
SILVER_EMPLOYEES = "silver.stg_partner_csv__employees"
EMPLOYEES_TABLE = MySqlTableSpec(
    name="partner_employees",
    columns=(
        MySqlColumn("partner", "VARCHAR(64)", nullable=False),
        MySqlColumn("id_funcionario", "BIGINT", nullable=False),
        MySqlColumn("data_referencia", "DATE", nullable=False),
        MySqlColumn("nome", "VARCHAR(255)"),
        MySqlColumn("cpf_mascarado", "CHAR(14)"),
        MySqlColumn("idade", "SMALLINT", nullable=False),
        MySqlColumn("ativo", "BOOLEAN", nullable=False),
        MySqlColumn("salario", "DECIMAL(12,2)", nullable=False),
        MySqlColumn("source_file", "VARCHAR(1024)"),
        MySqlColumn("source_line", "BIGINT"),
        MySqlColumn("ingested_at", "DATETIME(6)"),
    ),
    key=("partner", "id_funcionario", "data_referencia"),
)


def employees_sql(relation: str = SILVER_EMPLOYEES) -> str:
    """One row per natural key (the latest delivery wins), CPF masked, in a stable order."""
    return f"""
        WITH ranked AS (
            SELECT *, regexp_replace(coalesce(cpf, ''), '[^0-9]', '', 'g') AS cpf_digits
            FROM {relation}
            QUALIFY row_number() OVER (
                PARTITION BY partner, id_funcionario, data_referencia
                ORDER BY ingestion_date DESC, ingested_at DESC, source_file DESC, source_line DESC
            ) = 1
        )
        SELECT
            CAST(partner AS VARCHAR) AS partner,
            CAST(id_funcionario AS BIGINT) AS id_funcionario,
            CAST(data_referencia AS DATE) AS data_referencia,
            CAST(nome AS VARCHAR) AS nome,
            CASE WHEN length(cpf_digits) = 11
                THEN '***.' || substr(cpf_digits, 4, 3) || '.' || substr(cpf_digits, 7, 3) || '-**'
            END AS cpf_mascarado,
            CAST(idade AS INTEGER) AS idade,
            CAST(ativo AS BOOLEAN) AS ativo,
            CAST(salario AS DECIMAL(12, 2)) AS salario,
            CAST(source_file AS VARCHAR) AS source_file,
            CAST(source_line AS BIGINT) AS source_line,
            CAST(ingested_at AS TIMESTAMP) AS ingested_at
        FROM ranked
        ORDER BY partner, id_funcionario, data_referencia
    """


def employee_batches(
    source: TableReader, rows_per_batch: int = DEFAULT_ROWS_PER_BATCH
) -> Iterator[pa.RecordBatch]:
    """The silver employee rows as the reader gives them (catalog file or S3), shaped for MySQL."""
    schema, table = SILVER_EMPLOYEES.split(".")
    with duckdb.connect() as connection:
        # TIMESTAMPTZ -> TIMESTAMP casts use the session zone; UTC is what MySQL receives.
        connection.execute("SET TimeZone = 'UTC'")
        connection.register("silver_employees", source.read(schema, table))
        yield from connection.execute(employees_sql("silver_employees")).fetch_record_batch(rows_per_batch)


def publish_employees(
    settings: Settings, source: TableReader | Path, *, secrets_client: Any | None = None
) -> PublishResult | None:
    """The daily publication; None when no MySQL URL (or secret id on AWS) is configured.

    ``source`` reads the silver table: a ``TableReader`` (S3 through Glue on AWS) or the local catalog file.
    """
    url = configured_mysql_url(settings, secrets_client=secrets_client)
    if url is None:
        return None
    reader = CatalogTableReader(source) if isinstance(source, Path) else source
    return publish_batches(url, EMPLOYEES_TABLE, employee_batches(reader))
