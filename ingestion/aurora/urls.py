"""Source database URLs: ``postgresql://``, ``mysql://`` and ``sqlite:///path``; never logged with a password."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit


class Dialect(StrEnum):
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    SQLITE = "sqlite"


_SCHEMES = {
    "postgresql": Dialect.POSTGRESQL,
    "postgres": Dialect.POSTGRESQL,
    "postgresql+psycopg": Dialect.POSTGRESQL,
    "mysql": Dialect.MYSQL,
    "mysql+pymysql": Dialect.MYSQL,
    "mariadb": Dialect.MYSQL,
    "sqlite": Dialect.SQLITE,
}
DEFAULT_PORTS = {Dialect.POSTGRESQL: 5432, Dialect.MYSQL: 3306}


@dataclass(frozen=True)
class SourceUrl:
    dialect: Dialect
    database: str  # database name, or the file path for SQLite
    schema: str  # PostgreSQL schema; the database for MySQL; "main" for SQLite
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = field(default="", repr=False)

    @property
    def path(self) -> Path:
        return Path(self.database)

    def redacted(self) -> str:
        """For logs and manifests: where the data came from, never the password."""
        if self.dialect is Dialect.SQLITE:
            return f"sqlite:///{self.database}"
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        return f"{self.dialect}://{user}{self.host}:{self.port}/{self.database}?schema={self.schema}"


def parse_source_url(url: str) -> SourceUrl:
    """``postgresql://user:pw@host:5432/db?schema=sales``, ``mysql://user:pw@host/db``, ``sqlite:///rel.db``
    or ``sqlite:////abs/path.db``. The PostgreSQL schema defaults to ``public``."""
    parts = urlsplit(url)
    dialect = _SCHEMES.get(parts.scheme.lower())
    if dialect is None:
        raise ValueError(
            f"unsupported database URL scheme {parts.scheme!r}: use postgresql://, mysql:// or sqlite:///path"
        )
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    if dialect is Dialect.SQLITE:
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise ValueError("a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db")
        return SourceUrl(dialect=dialect, database=unquote(parts.path[1:]), schema="main")
    database = unquote(parts.path.lstrip("/"))
    if not database or not parts.hostname:
        raise ValueError(f"a {dialect} URL needs a host and a database: {dialect}://user:password@host:port/db")
    schema = query.get("schema") or ("public" if dialect is Dialect.POSTGRESQL else database)
    if dialect is Dialect.MYSQL and schema != database:
        raise ValueError("for MySQL the schema is the database: leave ?schema= out or make it equal")
    return SourceUrl(
        dialect=dialect,
        database=database,
        schema=schema,
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[dialect],
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def url_from_rds_secret(secret: Mapping[str, Any], schema: str | None = None) -> str:
    """The URL for a Secrets Manager secret in the RDS/Aurora format (engine, host, port, username, password, dbname)."""
    engine = str(secret.get("engine", "postgres")).lower()
    scheme = "mysql" if engine in {"mysql", "mariadb", "aurora-mysql"} else "postgresql"
    dialect = _SCHEMES[scheme]
    port = int(secret.get("port") or DEFAULT_PORTS[dialect])
    user = quote(str(secret["username"]), safe="")
    password = quote(str(secret["password"]), safe="")
    database = quote(str(secret.get("dbname") or ("postgres" if dialect is Dialect.POSTGRESQL else "")), safe="")
    suffix = f"?schema={quote(schema, safe='')}" if schema else ""
    return f"{scheme}://{user}:{password}@{secret['host']}:{port}/{database}{suffix}"


def url_from_secret(value: str, schema: str | None = None) -> str:
    """A secret holding either a database URL or the RDS/Aurora JSON document."""
    text = value.strip()
    return url_from_rds_secret(json.loads(text), schema) if text.startswith("{") else text
