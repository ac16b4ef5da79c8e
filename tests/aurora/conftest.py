from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.mariadb import mariadb_server, mariadb_url
from tests.support.moto import aws_environment, moto_endpoint
from tests.support.postgres import postgres_url

__all__ = ["aws_environment", "mariadb_server", "mariadb_url", "moto_endpoint", "postgres_url"]


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A fresh database per test on the session's server: tests never see each other's tables."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)  # type: ignore[arg-type]
