"""dbt-duckdb plugin: gives dbt the gold publication of :mod:`serving.gold_publication` as the SQL
function ``lakehouse_publish_gold(tables_json)``, so that ``dbt build`` (its on-run-end hook) and
``dbt run-operation publish_gold`` publish audited gold exactly as the ``lakehouse`` run does.

``tables_json`` maps each gold table to its partition columns (``{"salary_averages": ["ano", "mes"]}``);
the function returns the published tables as JSON. The lake root comes from the plugin config
(profiles.yml). Publication runs on its own connection to the same database (a cursor of dbt's), since
a query cannot run further statements on the connection executing it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from serving.gold_publication import publish_tables

FUNCTION_NAME = "lakehouse_publish_gold"


def register_publish_function(connection: DuckDBPyConnection, lake_root: Path) -> None:
    def publish(tables_json: str) -> str:
        tables = {str(name): [str(column) for column in columns] for name, columns in json.loads(tables_json).items()}
        publisher = connection.cursor()
        try:
            published = publish_tables(publisher, lake_root, tables)
        finally:
            publisher.close()
        return json.dumps([asdict(table) for table in published])

    connection.create_function(FUNCTION_NAME, publish, ["VARCHAR"], "VARCHAR", side_effects=True)  # type: ignore[list-item, arg-type]


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._lake_root = Path(str(plugin_config["lake"])).resolve()

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # A Python function is visible to every cursor of the connection: registered once.
        register_publish_function(conn, self._lake_root)
