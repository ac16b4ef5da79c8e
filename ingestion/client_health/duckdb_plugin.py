"""dbt-duckdb plugin: defines ``hmac_sha256_hex(value)`` keyed with the pseudonym key, so that SQL computes
client ids without ever containing the key. DuckDB has no HMAC function of its own.

HMAC-SHA256 is ``sha256((K ^ opad) || sha256((K ^ ipad) || message))`` (RFC 2104); DuckDB's native
``sha256`` over BLOBs computes it about three times faster than a Python UDF. The padded keys live
only in a TEMPORARY macro of each connection and cursor: never in the catalog file, dbt's compiled
SQL or its logs. profiles.yml (local output) hands the key over from ``DBT_ENV_SECRET_PSEUDONYM_KEY``;
without a key the function raises when called, so only models that need ids need the key.
"""

from __future__ import annotations

import hashlib
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from ingestion.client_health.pseudonym import DBT_ENV_VAR

FUNCTION_NAME = "hmac_sha256_hex"
_BLOCK_BYTES = 64


def _padded_keys(key: bytes) -> tuple[str, str]:
    block = hashlib.sha256(key).digest() if len(key) > _BLOCK_BYTES else key
    block = block.ljust(_BLOCK_BYTES, b"\0")
    return bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()


def hmac_macro_sql(key: str) -> str:
    if not key:
        # Typed as the real function's result, so the query binds and fails with this message rather
        # than with a type error on what the caller does with the hash.
        message = f"{FUNCTION_NAME}: no pseudonym key for gold.client_health ids; set {DBT_ENV_VAR}"
        body = f"CAST(error('{message}') AS VARCHAR)"
    else:
        inner, outer = _padded_keys(key.encode())
        body = (
            f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode(CAST(value AS VARCHAR)))))"
        )
    return f"CREATE OR REPLACE TEMPORARY MACRO {FUNCTION_NAME}(value) AS {body}"


def register_hmac_function(connection: DuckDBPyConnection, key: str) -> None:
    connection.execute(hmac_macro_sql(key))


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._key = str(plugin_config.get("key") or "")

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register_hmac_function(conn, self._key)

    def configure_cursor(self, cursor: DuckDBPyConnection) -> None:
        register_hmac_function(cursor, self._key)
