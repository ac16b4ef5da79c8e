"""Secrets: the environment (or ``.env``) on one machine, Secrets Manager on AWS.

A secret's value only ever travels as a ``SecretStr``; messages name the secret id, never the value.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import SecretStr

from core.settings import Backend, Settings


class SecretUnavailableError(RuntimeError):
    pass


class SecretNotFoundError(SecretUnavailableError):
    """No secret has that id (as opposed to one that exists and could not be read)."""


class _DropSecretPayloads(logging.Filter):
    """botocore logs whole response bodies at DEBUG, and a GetSecretValue body is the secret itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "SecretString" not in message and "SecretBinary" not in message


logging.getLogger("botocore.parsers").addFilter(_DropSecretPayloads())


def resolve_secret(
    settings: Settings, value: SecretStr | None, secret_id: str | None, *, client: Any | None = None
) -> SecretStr | None:
    """On AWS a configured secret id wins; otherwise (and locally) the value from Settings, possibly None.

    ``client`` is a Secrets Manager client; by default one is made for ``settings.region``.
    """
    if settings.backend is Backend.AWS and secret_id:
        return fetch_secret(secret_id, settings.region, client=client)
    return value


def fetch_secret(secret_id: str, region: str, *, client: Any | None = None) -> SecretStr:
    import boto3  # the AWS path only: a local run reads its secrets from Settings
    from botocore.exceptions import BotoCoreError, ClientError

    secrets_manager = client or boto3.client("secretsmanager", region_name=region)
    try:
        response = secrets_manager.get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        unavailable = SecretNotFoundError if code == "ResourceNotFoundException" else SecretUnavailableError
        raise unavailable(
            f"secret {secret_id!r} could not be read from Secrets Manager: {code}"
        ) from None
    except BotoCoreError as exc:
        raise SecretUnavailableError(
            f"secret {secret_id!r} could not be read from Secrets Manager: {type(exc).__name__}"
        ) from None
    if "SecretString" in response:
        return SecretStr(str(response["SecretString"]))
    return SecretStr(bytes(response["SecretBinary"]).decode("utf-8"))
