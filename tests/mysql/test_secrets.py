from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import SecretStr

from core.secrets import SecretUnavailableError, resolve_secret
from core.settings import Backend, Settings
from serving.mysql import EMPLOYEES_TABLE, configured_mysql_url, parse_mysql_url, publish_batches
from tests.mysql.rows import batches

REGION = "us-east-1"


@pytest.fixture
def secrets_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def aws_settings(**fields: Any) -> Settings:
    return Settings(backend=Backend.AWS, region=REGION, bucket="lake", **fields)


def test_locally_the_url_comes_from_the_environment_and_a_secret_id_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAKEHOUSE_MYSQL_URL", "mysql://u:p@h:3306/d")
    monkeypatch.setenv("LAKEHOUSE_MYSQL_SECRET_ID", "prod/mysql")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert configured_mysql_url(settings) == SecretStr("mysql://u:p@h:3306/d")
    assert "mysql://u:p@" not in repr(settings)
    assert configured_mysql_url(Settings(mysql_url=None)) is None


def test_on_aws_the_secret_id_wins_and_holds_a_url(secrets_client: Any) -> None:
    secrets_client.create_secret(Name="lakehouse/mysql", SecretString="mysql://app:from-sm@db:3306/ops")
    settings = aws_settings(mysql_url=SecretStr("mysql://env:env@h:1/d"), mysql_secret_id="lakehouse/mysql")
    url = configured_mysql_url(settings, secrets_client=secrets_client)
    assert url is not None and parse_mysql_url(url).password.get_secret_value() == "from-sm"


def test_an_rds_style_json_secret_becomes_a_url(secrets_client: Any) -> None:
    secret = {
        "username": "app",
        "password": "p@ss:/w?rd",
        "host": "db.example",
        "port": 3307,
        "dbname": "ops",
    }
    secrets_client.create_secret(Name="rds/ops", SecretString=json.dumps(secret))
    url = configured_mysql_url(aws_settings(mysql_secret_id="rds/ops"), secrets_client=secrets_client)
    assert url is not None
    target = parse_mysql_url(url)
    assert (target.user, target.password.get_secret_value(), target.host, target.port, target.database) == (
        "app",
        "p@ss:/w?rd",
        "db.example",
        3307,
        "ops",
    )
    assert "p@ss" not in repr(target) and "p@ss" not in target.safe_url


def test_a_missing_secret_names_the_id_not_a_value(secrets_client: Any) -> None:
    with pytest.raises(SecretUnavailableError, match=r"'lakehouse/absent'.*ResourceNotFoundException"):
        resolve_secret(aws_settings(), None, "lakehouse/absent", client=secrets_client)


def test_an_incomplete_json_secret_is_refused_without_echoing_it(secrets_client: Any) -> None:
    secrets_client.create_secret(
        Name="rds/bad", SecretString=json.dumps({"username": "app", "password": "Leak-me-not"})
    )
    with pytest.raises(ValueError, match="needs username, password, host and dbname") as error:
        configured_mysql_url(aws_settings(mysql_secret_id="rds/bad"), secrets_client=secrets_client)
    assert "Leak-me-not" not in str(error.value)


@pytest.mark.servers
def test_publish_with_credentials_from_secrets_manager(
    secrets_client: Any, mariadb_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    target = parse_mysql_url(mariadb_url)
    secret = {
        "username": target.user,
        "password": target.password.get_secret_value(),
        "host": target.host,
        "port": target.port,
        "dbname": target.database,
        "engine": "mysql",
    }
    secrets_client.create_secret(Name="lakehouse/mysql", SecretString=json.dumps(secret))
    caplog.clear()  # botocore logged the test's own CreateSecret request; only reading and publishing count
    url = configured_mysql_url(aws_settings(mysql_secret_id="lakehouse/mysql"), secrets_client=secrets_client)
    assert url is not None
    result = publish_batches(url, EMPLOYEES_TABLE, batches(50, 50))
    assert result.rows == 50
    assert any("GetSecretValue" in record.getMessage() for record in caplog.records), (
        "botocore debug logs were captured"
    )
    assert all(secret["password"] not in record.getMessage() for record in caplog.records)
