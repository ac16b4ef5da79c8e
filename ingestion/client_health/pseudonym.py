"""The key behind gold.client_health ids, and the id itself (HMAC-SHA256 of the CPF as a UUID).

The key is kept outside the lake: on AWS in Secrets Manager (``LAKEHOUSE_PSEUDONYM_KEY_SECRET_ID``);
on one machine from ``LAKEHOUSE_PSEUDONYM_KEY`` or, when none is configured, a random key generated
once into ``LAKEHOUSE_PSEUDONYM_KEY_FILE`` (default ``~/.config/lakehouse/pseudonym.key``, mode 0600).
Losing the key changes every id; whoever holds it can link an id back to a CPF by trying CPFs.

Only the client-files Glue job reads the key: it writes each row's id and the key's version beside
the CPF in bronze (``ingestion.client_health.transforms.with_pseudonymous_id``), and dbt selects the
id. So the key is in no SQL text, dbt artifact, query history or CloudTrail record.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from core.secrets import resolve_secret
from core.settings import Backend, Settings

_BLOCK_BYTES = 64  # SHA-256's block size: HMAC pads the key to it (RFC 2104)
_INNER_PAD, _OUTER_PAD = 0x36, 0x5C
# The key version is the key's HMAC of this fixed label: it names the key, tells no more about it than
# any id does, and can never equal an id's digest (no CPF is this label).
_VERSION_LABEL = b"lakehouse client_health pseudonym key version"
VERSION_HEX_DIGITS = 16


class PseudonymKeyError(RuntimeError):
    pass


@dataclass(frozen=True)
class PseudonymKey:
    """The key, never printed (``SecretStr``), with what the Spark job needs of it."""

    secret: SecretStr

    def __post_init__(self) -> None:
        if not self.secret.get_secret_value():
            raise PseudonymKeyError("the pseudonym key is empty")

    @property
    def _bytes(self) -> bytes:
        return self.secret.get_secret_value().encode("utf-8")

    @property
    def version(self) -> str:
        """Names the key in bronze (``key_version``) without revealing it: ids of different versions never
        match, so a rotated key shows up as more than one version instead of as silently changed ids."""
        return hmac.new(self._bytes, _VERSION_LABEL, hashlib.sha256).hexdigest()[:VERSION_HEX_DIGITS]

    def hmac_pads(self) -> tuple[bytes, bytes]:
        """(K ^ ipad, K ^ opad), K the key padded to one block: HMAC(K, m) = H(outer || H(inner || m))."""
        block = hashlib.sha256(self._bytes).digest() if len(self._bytes) > _BLOCK_BYTES else self._bytes
        block = block.ljust(_BLOCK_BYTES, b"\0")
        return bytes(b ^ _INNER_PAD for b in block), bytes(b ^ _OUTER_PAD for b in block)


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


def pseudonym_key(settings: Settings, *, client: object | None = None) -> PseudonymKey:
    return PseudonymKey(resolve_pseudonym_key(settings, client=client))


def pseudonymous_id(key: str, cpf: str) -> str:
    """The reference for the Spark expression: UUID version 8 from the first 16 bytes of HMAC-SHA256(key, cpf)."""
    digest = bytearray(hmac.new(key.encode(), cpf.encode(), hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))
