from __future__ import annotations

import json

import pytest

from ingestion.aurora.urls import Dialect, parse_source_url, url_from_rds_secret, url_from_secret


def test_postgres_url_with_schema_and_encoded_password() -> None:
    url = parse_source_url("postgresql://etl:p%40ss%2Fw@db.internal:6543/vendas?schema=operacao")
    assert (url.dialect, url.host, url.port, url.user, url.password) == (Dialect.POSTGRESQL, "db.internal", 6543, "etl", "p@ss/w")
    assert (url.database, url.schema) == ("vendas", "operacao")
    assert "p@ss" not in url.redacted() and "p@ss" not in repr(url)


def test_postgres_defaults_to_public_and_port_5432() -> None:
    url = parse_source_url("postgres://etl@db/vendas")
    assert (url.port, url.schema) == (5432, "public")


def test_mysql_schema_is_the_database() -> None:
    url = parse_source_url("mysql+pymysql://etl:x@db/crm")
    assert (url.dialect, url.port, url.schema) == (Dialect.MYSQL, 3306, "crm")
    with pytest.raises(ValueError, match="schema is the database"):
        parse_source_url("mysql://etl:x@db/crm?schema=other")


def test_sqlite_relative_and_absolute_paths() -> None:
    assert parse_source_url("sqlite:///lake/sources/aurora.sqlite").database == "lake/sources/aurora.sqlite"
    assert parse_source_url("sqlite:////tmp/aurora.sqlite").database == "/tmp/aurora.sqlite"
    with pytest.raises(ValueError, match="sqlite:///"):
        parse_source_url("sqlite://host/aurora.sqlite")


def test_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="oracle"):
        parse_source_url("oracle://db/x")


def test_rds_secret_document_becomes_a_url() -> None:
    secret = {"engine": "postgres", "host": "aurora.cluster", "port": 5432, "username": "etl", "password": "a:b@c", "dbname": "vendas"}
    url = parse_source_url(url_from_rds_secret(secret, schema="operacao"))
    assert (url.host, url.user, url.password, url.database, url.schema) == ("aurora.cluster", "etl", "a:b@c", "vendas", "operacao")
    assert parse_source_url(url_from_secret(json.dumps({**secret, "engine": "aurora-mysql", "port": 3306}))).dialect is Dialect.MYSQL
    assert url_from_secret(" sqlite:///x.db ") == "sqlite:///x.db"
