from __future__ import annotations

from tests.support.mariadb import mariadb_server, mariadb_url

__all__ = ["mariadb_server", "mariadb_url"]
