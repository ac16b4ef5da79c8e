"""The key behind gold.client_health ids, and the id itself (HMAC-SHA256 of the CPF as a UUID).

The key is kept outside the lake: on AWS in Secrets Manager (``LAKEHOUSE_PSEUDONYM_KEY_SECRET_ID``);
on one machine from ``LAKEHOUSE_PSEUDONYM_KEY`` or, when none is configured, a random key generated
once into ``LAKEHOUSE_PSEUDONYM_KEY_FILE`` (default ``~/.config/lakehouse/pseudonym.key``, mode 0600).
Losing the key changes every id; whoever holds it can link an id back to a CPF by trying CPFs.
dbt receives it as ``DBT_ENV_SECRET_PSEUDONYM_KEY``, which dbt scrubs from its logs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path

from pydantic import SecretStr

from core.secrets import resolve_secret
from core.settings import Backend, Settings

DBT_ENV_VAR = "DBT_ENV_SECRET_PSEUDONYM_KEY"


class PseudonymKeyError(RuntimeError):
    pass


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def local_key(path: Path, lake: Path) -> SecretStr:
    """The key in ``path``, generated on first use; refuses a path inside the lake."""
    target = path.expanduser().resolve()
    if _inside(target, lake.resolve()):
        raise PseudonymKeyError(f"the pseudonym key file {target} is inside the lake {lake}: keep it outside")
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process generated it first; read theirs
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    key = target.read_text().strip()
    if not key:
        raise PseudonymKeyError(f"the pseudonym key file {target} is empty")
    return SecretStr(key)


def resolve_pseudonym_key(settings: Settings, *, client: object | None = None) -> SecretStr:
    configured = resolve_secret(
        settings, settings.pseudonym_key, settings.pseudonym_key_secret_id, client=client
    )
    if configured is not None and configured.get_secret_value():
        return configured
    if settings.backend is Backend.AWS:
        raise PseudonymKeyError(
            "no pseudonym key: set LAKEHOUSE_PSEUDONYM_KEY_SECRET_ID to a Secrets Manager secret"
        )
    return local_key(settings.pseudonym_key_file, settings.lake)


def dbt_secret_environment(settings: Settings) -> dict[str, str]:
    """The environment dbt needs for the ids (the profile hands the key to the DuckDB plugin)."""
    return {DBT_ENV_VAR: resolve_pseudonym_key(settings).get_secret_value()}


def pseudonymous_id(key: str, cpf: str) -> str:
    """The reference for the SQL macros: UUID version 8 from the first 16 bytes of HMAC-SHA256(key, cpf)."""
    digest = bytearray(hmac.new(key.encode(), cpf.encode(), hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))
