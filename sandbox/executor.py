"""Executes Athena statements on DuckDB over the sandbox's S3 and Glue Data Catalog.

Tables are resolved through Glue at each statement (a DuckDB view per Glue table or view, reading the
table's or its partitions' files from S3 through httpfs); CTAS and INSERT write Parquet where Athena
would (the table location, one folder per partition) and register the table and its partitions in
Glue; DDL changes Glue. What Athena refuses, the executor refuses with Athena's error name: a CTAS
into a location that already has data (HIVE_PATH_ALREADY_EXISTS), more than 100 partitions written by
one statement (HIVE_TOO_MANY_OPEN_PARTITIONS), a timestamp with time zone in a Hive table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from core.hive_partitions import DEFAULT_PARTITION, folder_partition, partition_folder
from sandbox.glue import (
    PARQUET_STORAGE,
    SandboxCatalog,
    presto_view_sql,
    presto_view_text,
    split_location,
    table_input_of,
)
from sandbox.translate import parse_athena, prepare_connection, to_duckdb

CATALOG = "awsdatacatalog"
INFORMATION = "athena_information"
MAX_OPEN_PARTITIONS = 100
NAME = r"(?:\"[^\"]+\"|`[^`]+`|[\w$-]+)(?:\s*\.\s*(?:\"[^\"]+\"|`[^`]+`|[\w$-]+)){0,2}"
JSON_SERDES = ("JsonSerDe",)
CSV_SERDES = ("OpenCSVSerde", "LazySimpleSerDe")


class StatementFailed(Exception):
    """A statement Athena would fail; the message starts with Athena's error name."""

    def __init__(self, message: str, duckdb_sql: list[str] | None = None) -> None:
        super().__init__(message)
        self.duckdb_sql = duckdb_sql or []


@dataclass
class Outcome:
    statement_type: str  # DDL | DML | UTILITY, as GetQueryExecution reports it
    substatement_type: str | None = None
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    update_count: int | None = None
    duckdb_sql: list[str] = field(default_factory=list)


def httpfs_extension_path() -> Path:
    import duckdb_ext  # the duckdb-ext-httpfs wheel: DuckDB cannot download extensions here

    platform = duckdb.sql("PRAGMA platform").fetchone()
    assert platform is not None
    root = Path(next(iter(duckdb_ext.__path__)))
    return root / "extensions" / f"v{duckdb.__version__}" / str(platform[0]) / "httpfs.duckdb_extension"


def strip_comments(sql: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return text.strip().rstrip(";").strip()


def unquote(part: str) -> str:
    part = part.strip()
    if part[:1] in {'"', "`"}:
        return part[1:-1]
    return part.lower()


def split_name(name: str, default_database: str | None) -> tuple[str, str]:
    parts = [unquote(part) for part in re.findall(r"\"[^\"]+\"|`[^`]+`|[\w$-]+", name)]
    if len(parts) == 1:
        if not default_database:
            raise StatementFailed(f"SCHEMA_NOT_FOUND: no database for table {parts[0]}")
        return default_database, parts[0]
    return parts[-2], parts[-1]


def split_top_level(text: str, separator: str = ",") -> list[str]:
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "(<[":
            depth += 1
        elif char in ")>]":
            depth -= 1
        if char == separator and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        items.append("".join(current).strip())
    return items


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal_text(value: str) -> str:
    value = value.strip()
    if value.startswith("'") and value.endswith("'"):
        return value[1:-1].replace("''", "'")
    return value


def properties(text: str) -> dict[str, Any]:
    """``a='x', b=ARRAY['p','q'], c=true`` -> {a: 'x', b: ['p', 'q'], c: 'true'}."""
    found: dict[str, Any] = {}
    for item in split_top_level(text):
        key, _, value = item.partition("=")
        key, value = literal_text(key.strip()).lower(), value.strip()
        if value.upper().startswith("ARRAY"):
            found[key] = [literal_text(element) for element in split_top_level(value[5:].strip()[1:-1])]
        else:
            found[key] = literal_text(value)
    return found


# Types: DuckDB <-> Glue (Hive) <-> Athena result metadata.
def glue_type_to_duckdb(glue_type: str) -> str:
    text = glue_type.strip().lower()
    if text.startswith("array<"):
        return glue_type_to_duckdb(text[6:-1]) + "[]"
    simple = {
        "string": "VARCHAR",
        "int": "INTEGER",
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "smallint": "SMALLINT",
        "tinyint": "TINYINT",
        "double": "DOUBLE",
        "float": "FLOAT",
        "real": "FLOAT",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "binary": "BLOB",
        "varbinary": "BLOB",
    }
    if text in simple:
        return simple[text]
    if text.startswith(("varchar", "char")):
        return "VARCHAR"
    if text.startswith("decimal"):
        return text.upper()
    raise StatementFailed(f"NOT_SUPPORTED: the sandbox cannot read Glue type {glue_type}")


def duckdb_type_to_glue(duckdb_type: str) -> str:
    text = duckdb_type.upper()
    if text.endswith("[]"):
        return f"array<{duckdb_type_to_glue(text[:-2])}>"
    if text.startswith("DECIMAL"):
        return text.lower()
    simple = {
        "VARCHAR": "string",
        "INTEGER": "int",
        "BIGINT": "bigint",
        "SMALLINT": "smallint",
        "TINYINT": "tinyint",
        "DOUBLE": "double",
        "FLOAT": "float",
        "BOOLEAN": "boolean",
        "DATE": "date",
        "TIMESTAMP": "timestamp",
        "TIMESTAMP_NS": "timestamp",
        "TIMESTAMP_MS": "timestamp",
        "TIMESTAMP_S": "timestamp",
        "BLOB": "binary",
        "HUGEINT": "decimal(38,0)",
        "UUID": "string",
    }
    if text in simple:
        return simple[text]
    if text in {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}:
        raise StatementFailed("NOT_SUPPORTED: Unsupported Hive type: timestamp(3) with time zone")
    if text == '"NULL"' or text == "NULL":
        return "string"
    raise StatementFailed(f"NOT_SUPPORTED: Unsupported Hive type: {duckdb_type.lower()}")


def athena_result_type(duckdb_type: str) -> tuple[str, int, int]:
    """(Type, Precision, Scale) as Athena's ColumnInfo reports a result column."""
    text = duckdb_type.upper()
    if text.startswith("DECIMAL"):
        precision, scale = (int(part) for part in re.findall(r"\d+", text)[:2])
        return "decimal", precision, scale
    names = {
        "VARCHAR": ("varchar", 2147483647),
        "INTEGER": ("integer", 10),
        "BIGINT": ("bigint", 19),
        "SMALLINT": ("smallint", 5),
        "TINYINT": ("tinyint", 3),
        "HUGEINT": ("decimal", 38),
        "DOUBLE": ("double", 17),
        "FLOAT": ("float", 17),
        "BOOLEAN": ("boolean", 0),
        "DATE": ("date", 0),
        "TIMESTAMP": ("timestamp", 3),
        "TIMESTAMP WITH TIME ZONE": ("timestamp with time zone", 3),
        "BLOB": ("varbinary", 1073741824),
        "UUID": ("uuid", 0),
    }
    if text.endswith("[]"):
        return "array", 0, 0
    name, precision = names.get(text, ("varchar", 2147483647))
    return name, precision, 0


def athena_text(value: Any) -> str | None:
    """A value as Athena's GetQueryResults and result CSV write it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
        return text + (" UTC" if value.tzinfo is not None else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return " ".join(f"{byte:02x}" for byte in value)
    if isinstance(value, list):
        return "[" + ", ".join("null" if item is None else str(athena_text(item)) for item in value) + "]"
    return str(value)


def column_info(names: list[str], types: list[str]) -> list[dict[str, Any]]:
    info = []
    for name, duckdb_type in zip(names, types, strict=True):
        athena_type, precision, scale = athena_result_type(duckdb_type)
        info.append(
            {
                "CatalogName": "hive",
                "SchemaName": "",
                "TableName": "",
                "Name": name,
                "Label": name,
                "Type": athena_type,
                "Precision": precision,
                "Scale": scale,
                "Nullable": "UNKNOWN",
                "CaseSensitive": athena_type == "varchar",
            }
        )
    return info


def text_outcome(lines: Iterable[str], name: str = "result") -> Outcome:
    rows: list[list[str | None]] = [[line] for line in lines]
    return Outcome("DDL", columns=column_info([name], ["VARCHAR"]), rows=rows)


class AthenaExecutor:
    """One DuckDB session for the sandbox's Athena; statements run one at a time, as submitted."""

    def __init__(self, endpoint: str) -> None:
        self.catalog = SandboxCatalog(endpoint)
        self.connection = duckdb.connect()
        self.lock = threading.Lock()
        # DuckDB view SQL per (database, table) as last created: unchanged tables are not rebound.
        self.views: dict[tuple[str, str], str] = {}
        self.parquet_columns: dict[tuple[str, ...], list[str]] = {}
        host = endpoint.removeprefix("http://").removeprefix("https://")
        self.connection.execute(f"LOAD '{httpfs_extension_path()}'")
        self.connection.execute(
            "CREATE SECRET sandbox_s3 (TYPE s3, KEY_ID 'sandbox', SECRET 'sandbox', REGION 'us-east-1', "
            f"ENDPOINT '{host}', URL_STYLE 'path', USE_SSL false)"
        )
        # No cached HEADs: a file delivered again replaces its bronze object under the same key, and S3
        # reads after a write see the new object (a cached size would read the old one's bytes).
        self.connection.execute("SET enable_http_metadata_cache = false")
        self.connection.execute(f"ATTACH ':memory:' AS {CATALOG}")
        self.connection.execute(f"ATTACH ':memory:' AS {INFORMATION}")
        prepare_connection(self.connection)

    # entry point
    def execute(
        self, sql: str, database: str | None, query_id: str, output_location: str | None = None
    ) -> Outcome:
        with self.lock:
            statement = Statement(self, strip_comments(sql), (database or "default").lower(), query_id)
            statement.output_location = output_location
            return statement.run()


class Statement:
    """One statement's execution: what it resolved, what it ran on DuckDB."""

    def __init__(self, executor: AthenaExecutor, sql: str, database: str, query_id: str) -> None:
        self.executor = executor
        self.catalog = executor.catalog
        self.connection = executor.connection
        self.sql = sql
        self.database = database
        self.query_id = query_id
        self.duckdb_sql: list[str] = []
        self.prepared: set[tuple[str, str]] = set()
        self.output_location: str | None = None

    def run(self) -> Outcome:
        try:
            outcome = self._dispatch()
        except StatementFailed as exc:
            raise StatementFailed(str(exc), self.duckdb_sql) from exc
        except duckdb.Error as exc:
            raise StatementFailed(_athena_error(exc), self.duckdb_sql) from exc
        outcome.duckdb_sql = self.duckdb_sql
        return outcome

    def _duckdb(self, sql: str, parameters: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        self.duckdb_sql.append(sql)
        return self.connection.execute(sql, parameters)

    def _dispatch(self) -> Outcome:
        sql = self.sql
        flags = re.I | re.S
        handlers: list[tuple[str, Callable[[re.Match[str]], Outcome]]] = [
            (r"^(select|with|values|\()\b", self._select),
            (
                r"^create\s+(database|schema)\s+(if\s+not\s+exists\s+)?(?P<name>" + NAME + r")",
                self._create_database,
            ),
            (r"^drop\s+(database|schema)\s+(if\s+exists\s+)?(?P<name>" + NAME + r")", self._drop_database),
            (
                r"^create\s+table\s+(?P<if_not>if\s+not\s+exists\s+)?(?P<name>" + NAME + r")\s+"
                r"(with\s*\((?P<props>.*?)\)\s*)?as\s+(?P<query>.*?)(\s+with\s+no\s+data)?$",
                self._create_table_as,
            ),
            (
                r"^create\s+(?P<replace>or\s+replace\s+)?view\s+(?P<name>"
                + NAME
                + r")\s+as\s+(?P<query>.*)$",
                self._create_view,
            ),
            (
                r"^create\s+external\s+table\s+(?P<if_not>if\s+not\s+exists\s+)?(?P<name>"
                + NAME
                + r")\s*\((?P<rest>.*)$",
                self._create_external_table,
            ),
            (
                r"^insert\s+into\s+(?P<name>"
                + NAME
                + r")\s*(?P<columns>\([^)]*\))?\s*(?P<query>(select|with|values|\().*)$",
                self._insert,
            ),
            (
                r"^drop\s+(?P<kind>table|view)\s+(?P<if_exists>if\s+exists\s+)?(?P<name>" + NAME + r")$",
                self._drop,
            ),
            (
                r"^alter\s+table\s+(?P<name>"
                + NAME
                + r")\s+add\s+(?P<if_not>if\s+not\s+exists\s+)?(?P<rest>partition.*)$",
                self._add_partitions,
            ),
            (
                r"^alter\s+table\s+(?P<name>" + NAME + r")\s+drop\s+(if\s+exists\s+)?(?P<rest>partition.*)$",
                self._drop_partitions,
            ),
            (
                r"^alter\s+table\s+(?P<name>"
                + NAME
                + r")\s+(partition\s*\((?P<spec>[^)]*)\)\s*)?set\s+location\s+(?P<location>'[^']*')$",
                self._set_location,
            ),
            (
                r"^alter\s+table\s+(?P<name>" + NAME + r")\s+rename\s+to\s+(?P<new>" + NAME + r")$",
                self._rename,
            ),
            (
                r"^alter\s+table\s+(?P<name>" + NAME + r")\s+set\s+tblproperties\s*\((?P<props>.*)\)$",
                self._set_properties,
            ),
            (r"^msck\s+repair\s+table\s+(?P<name>" + NAME + r")$", self._repair),
            (r"^show\s+(databases|schemas)(\s+like\s+(?P<pattern>'[^']*'))?$", self._show_databases),
            (
                r"^show\s+(tables|views)(\s+(in|from)\s+(?P<db>"
                + NAME
                + r"))?(\s+(like\s+)?(?P<pattern>'[^']*'))?$",
                self._show_tables,
            ),
            (r"^show\s+partitions\s+(?P<name>" + NAME + r")$", self._show_partitions),
            (r"^show\s+columns\s+(in|from)\s+(?P<name>" + NAME + r")$", self._show_columns),
            (r"^show\s+tblproperties\s+(?P<name>" + NAME + r")$", self._show_properties),
            (r"^describe\s+(formatted\s+|extended\s+)?(?P<name>" + NAME + r")$", self._describe),
        ]
        for pattern, handler in handlers:
            match = re.match(pattern, sql, flags)
            if match:
                return handler(match)
        raise StatementFailed(f"NOT_SUPPORTED: the sandbox does not execute: {sql.split()[0] if sql else ''}")

    # resolution
    def _glue_table(self, database: str, name: str) -> dict[str, Any]:
        table = self.catalog.table(database, name)
        if table is None:
            if not self.catalog.has_database(database):
                raise StatementFailed(f"SCHEMA_NOT_FOUND: Schema '{database}' does not exist")
            raise StatementFailed(f"TABLE_NOT_FOUND: Table '{CATALOG}.{database}.{name}' does not exist")
        return table

    def _translate(self, tree: exp.Expr, database: str) -> str:
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}

        def rename(table: exp.Table) -> None:
            if not table.name or (not table.args.get("db") and table.name.lower() in ctes):
                return
            db = (table.text("db") or database).lower()
            if db == "information_schema":
                self._prepare_information_schema(table.name.lower())
                table.set("catalog", exp.to_identifier(INFORMATION))
                table.set("db", exp.to_identifier("main"))
                return
            name = table.name.lower() if not table.this.quoted else table.name
            self._prepare(db, name)
            table.set("catalog", exp.to_identifier(CATALOG))
            table.set("db", exp.to_identifier(db, quoted=True))
            table.set("this", exp.to_identifier(name, quoted=True))

        return to_duckdb(tree, rename)

    def _translate_sql(self, sql: str, database: str) -> str:
        try:
            tree = parse_athena(sql)
        except Exception as exc:  # sqlglot's ParseError and friends
            raise StatementFailed(f"SYNTAX_ERROR: {exc}") from exc
        return self._translate(tree, database)

    def _prepare(self, database: str, name: str) -> None:
        """(Re)creates the DuckDB view standing for a Glue table or view, from what Glue says now."""
        if (database, name) in self.prepared:
            return
        self.prepared.add((database, name))
        table = self._glue_table(database, name)
        if table.get("TableType") == "VIRTUAL_VIEW":
            body = self._translate_sql(presto_view_sql(table.get("ViewOriginalText", "")), database)
        else:
            body = self._table_scan(database, table)
        if self.executor.views.get((database, name)) == body:
            return
        self._duckdb(f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{quoted(database)}")
        self._duckdb(f"CREATE OR REPLACE VIEW {CATALOG}.{quoted(database)}.{quoted(name)} AS {body}")
        self.executor.views[(database, name)] = body

    def _table_scan(self, database: str, table: dict[str, Any]) -> str:
        storage = table.get("StorageDescriptor", {})
        columns = [(column["Name"].lower(), column["Type"]) for column in storage.get("Columns", [])]
        keys = [(column["Name"].lower(), column["Type"]) for column in table.get("PartitionKeys", [])]
        serde = storage.get("SerdeInfo", {})
        groups: list[tuple[list[str], list[str]]] = []  # (partition values, files)
        if keys:
            for partition in self.catalog.partitions(database, table["Name"]):
                files = self.catalog.data_files(partition["StorageDescriptor"]["Location"])
                if files:
                    groups.append((partition["Values"], files))
        else:
            files = self.catalog.data_files(storage.get("Location", ""))
            if files:
                groups.append(([], files))
        if not groups:
            select = ", ".join(
                f"CAST(NULL AS {glue_type_to_duckdb(kind)}) AS {quoted(name)}"
                for name, kind in columns + keys
            )
            return f"SELECT {select} WHERE false"
        scans = []
        for values, files in groups:
            scan = self._file_scan(files, columns, serde, table.get("Parameters", {}))
            extra = ", ".join(
                f"CAST({'NULL' if value == DEFAULT_PARTITION else sql_string(value)} AS "
                f"{glue_type_to_duckdb(kind)}) AS {quoted(name)}"
                for (name, kind), value in zip(keys, values, strict=True)
            )
            scans.append(f"SELECT *{', ' + extra if extra else ''} FROM ({scan})")
        return " UNION ALL ".join(scans)

    def _file_scan(
        self,
        files: list[str],
        columns: list[tuple[str, str]],
        serde: dict[str, Any],
        parameters: dict[str, str],
    ) -> str:
        file_list = "[" + ", ".join(sql_string(path) for path in files) + "]"
        library = serde.get("SerializationLibrary", "")
        serde_parameters = serde.get("Parameters", {})
        if any(name in library for name in JSON_SERDES):
            declared = ", ".join(f"{quoted(name)}: '{glue_type_to_duckdb(kind)}'" for name, kind in columns)
            # Athena's JSON SerDes read one object per line; a pretty-printed object fails the scan.
            source = f"read_json({file_list}, format = 'newline_delimited', columns = {{{declared}}})"
            present = {name for name, _ in columns}
        elif any(name in library for name in CSV_SERDES):
            delimiter = serde_parameters.get("separatorChar") or serde_parameters.get("field.delim") or ","
            quote = serde_parameters.get("quoteChar", '"') if "OpenCSV" in library else ""
            skip = int(parameters.get("skip.header.line.count", "0"))
            declared = ", ".join(f"{quoted(name)}: 'VARCHAR'" for name, _ in columns)
            source = (
                f"read_csv({file_list}, header = false, skip = {skip}, delim = {sql_string(delimiter)}, "
                f"quote = {sql_string(quote)}, columns = {{{declared}}}, all_varchar = true)"
            )
            present = {name for name, _ in columns}
        else:
            source = f"read_parquet({file_list}, union_by_name = true, hive_partitioning = false)"
            file_names = self._parquet_columns(files, source)
            present = {column.lower() for column in file_names}
            by_lower = {column.lower(): column for column in file_names}
            select = ", ".join(
                f"CAST({quoted(by_lower[name])} AS {glue_type_to_duckdb(kind)}) AS {quoted(name)}"
                if name in present
                else f"CAST(NULL AS {glue_type_to_duckdb(kind)}) AS {quoted(name)}"
                for name, kind in columns
            )
            return f"SELECT {select} FROM {source}"
        select = ", ".join(
            f"CAST({quoted(name)} AS {glue_type_to_duckdb(kind)}) AS {quoted(name)}"
            if name in present
            else f"CAST(NULL AS {glue_type_to_duckdb(kind)}) AS {quoted(name)}"
            for name, kind in columns
        )
        return f"SELECT {select} FROM {source}"

    def _parquet_columns(self, files: list[str], source: str) -> list[str]:
        """Column names in a set of Parquet files (files are never rewritten in place: cached by name)."""
        key = tuple(files)
        if key not in self.executor.parquet_columns:
            described = self._duckdb(f"DESCRIBE SELECT * FROM {source}").fetchall()
            self.executor.parquet_columns[key] = [str(row[0]) for row in described]
        return self.executor.parquet_columns[key]

    def _prepare_information_schema(self, view: str) -> None:
        if ("information_schema", view) in self.prepared:
            return
        self.prepared.add(("information_schema", view))
        rows_tables: list[tuple[Any, ...]] = []
        rows_columns: list[tuple[Any, ...]] = []
        rows_views: list[tuple[Any, ...]] = []
        databases = self.catalog.databases()
        for database in databases:
            for table in self.catalog.tables(database):
                is_view = table.get("TableType") == "VIRTUAL_VIEW"
                rows_tables.append((CATALOG, database, table["Name"], "VIEW" if is_view else "BASE TABLE"))
                if is_view:
                    rows_views.append(
                        (CATALOG, database, table["Name"], presto_view_sql(table.get("ViewOriginalText", "")))
                    )
                columns = table.get("StorageDescriptor", {}).get("Columns", []) + table.get(
                    "PartitionKeys", []
                )
                for position, column in enumerate(columns, start=1):
                    rows_columns.append(
                        (
                            CATALOG,
                            database,
                            table["Name"],
                            column["Name"],
                            position,
                            None,
                            "YES",
                            column["Type"],
                            column.get("Comment"),
                            "partition key" if column in table.get("PartitionKeys", []) else None,
                        )
                    )
        definitions: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
            "schemata": (
                "catalog_name VARCHAR, schema_name VARCHAR",
                [(CATALOG, name) for name in databases],
            ),
            "tables": (
                "table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, table_type VARCHAR",
                rows_tables,
            ),
            "views": (
                "table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, view_definition VARCHAR",
                rows_views,
            ),
            "columns": (
                "table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR, "
                "ordinal_position BIGINT, column_default VARCHAR, is_nullable VARCHAR, data_type VARCHAR, "
                "comment VARCHAR, extra_info VARCHAR",
                rows_columns,
            ),
        }
        if view not in definitions:
            raise StatementFailed(
                f"TABLE_NOT_FOUND: Table '{CATALOG}.information_schema.{view}' does not exist"
            )
        columns, rows = definitions[view]
        self._duckdb(f"CREATE OR REPLACE TABLE {INFORMATION}.main.{view} ({columns})")
        if rows:
            placeholders = ", ".join("?" for _ in rows[0])
            self.connection.executemany(
                f"INSERT INTO {INFORMATION}.main.{view} VALUES ({placeholders})", rows
            )

    # queries
    def _select(self, _match: re.Match[str]) -> Outcome:
        translated = self._translate_sql(self.sql, self.database)
        cursor = self._duckdb(translated)
        names = [column[0] for column in cursor.description or []]
        types = [str(column[1]) for column in cursor.description or []]
        rows = [[athena_text(value) for value in row] for row in cursor.fetchall()]
        return Outcome("DML", "SELECT", columns=column_info(names, types), rows=rows)

    def _materialise(self, query: str) -> tuple[list[str], list[str], int]:
        """Runs a query into the session's scratch table; returns its column names, types, row count."""
        translated = self._translate_sql(query, self.database)
        self._duckdb(f"CREATE OR REPLACE TEMP TABLE sandbox_result AS {translated}")
        described = self._duckdb("DESCRIBE sandbox_result").fetchall()
        count = self._duckdb("SELECT count(*) FROM sandbox_result").fetchone()
        return (
            [str(row[0]) for row in described],
            [str(row[1]) for row in described],
            int(count[0]) if count else 0,
        )

    def _write(
        self, location: str, names: list[str], partitioned_by: list[str]
    ) -> list[tuple[list[str], str]]:
        """Writes sandbox_result as Parquet under ``location``: one file, or one folder per partition
        (partition columns are not stored in the files, as Hive does). Returns the partitions written."""
        data_columns = ", ".join(quoted(name) for name in names if name not in partitioned_by)
        base = location.rstrip("/")
        if not partitioned_by:
            self._duckdb(
                f"COPY (SELECT {data_columns} FROM sandbox_result) TO "
                f"{sql_string(f'{base}/{self.query_id}_00000.parquet')} (FORMAT parquet)"
            )
            return []
        keys = ", ".join(quoted(name) for name in partitioned_by)
        combinations = self._duckdb(f"SELECT DISTINCT {keys} FROM sandbox_result ORDER BY ALL").fetchall()
        if len(combinations) > MAX_OPEN_PARTITIONS:
            raise StatementFailed(
                "HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions/buckets. "
                f"This statement would write {len(combinations)} partitions."
            )
        written = []
        for combination in combinations:
            values = [athena_text(value) or DEFAULT_PARTITION for value in combination]
            folder = base + "/" + partition_folder(partitioned_by, values)
            condition = " AND ".join(f"{quoted(key)} IS NOT DISTINCT FROM ?" for key in partitioned_by)
            self._duckdb(
                f"COPY (SELECT {data_columns} FROM sandbox_result WHERE {condition}) TO "
                f"{sql_string(f'{folder}/{self.query_id}_00000.parquet')} (FORMAT parquet)",
                list(combination),
            )
            written.append((values, folder + "/"))
        return written

    def _create_table_as(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        options = properties(match["props"] or "")
        if self.catalog.table(database, name) is not None:
            if match["if_not"]:
                return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=0)
            raise StatementFailed(f"ALREADY_EXISTS: Table '{CATALOG}.{database}.{name}' already exists")
        if not self.catalog.has_database(database):
            raise StatementFailed(f"SCHEMA_NOT_FOUND: Schema '{database}' does not exist")
        table_type = str(options.get("table_type", "hive")).lower()
        if table_type != "hive":
            raise StatementFailed(f"NOT_SUPPORTED: the sandbox writes Hive tables only, not {table_type}")
        file_format = str(options.get("format", "parquet")).lower()
        if file_format != "parquet":
            raise StatementFailed(f"NOT_SUPPORTED: the sandbox writes Parquet only, not {file_format}")
        location = options.get("external_location") or self._unnamed_table_location()
        partitioned_by = [key.lower() for key in options.get("partitioned_by", [])]
        names, types, count = self._materialise(match["query"])
        names = [column.lower() for column in names]
        self._check_partition_columns(names, partitioned_by)
        glue_types = [duckdb_type_to_glue(kind) for kind in types]
        bucket, prefix = split_location(location)
        if self.catalog.data_files(location):
            raise StatementFailed(
                f"HIVE_PATH_ALREADY_EXISTS: Target directory for table '{database}.{name}' already exists: {location}. "
                "You may need to manually clean the data at location before retrying."
            )
        partitions = self._write(location, names, partitioned_by) if count else []
        typed = dict(zip(names, glue_types, strict=True))
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"EXTERNAL": "TRUE", "has_encrypted_data": "false"},
            "StorageDescriptor": {
                **PARQUET_STORAGE,
                "Columns": [
                    {"Name": column, "Type": typed[column]}
                    for column in names
                    if column not in partitioned_by
                ],
                "Location": f"s3://{bucket}/{prefix}",
            },
            "PartitionKeys": [{"Name": column, "Type": typed[column]} for column in partitioned_by],
        }
        self.catalog.create_table(database, table_input)
        if partitions:
            created = self._glue_table(database, name)
            self.catalog.add_partitions(database, created, partitions)
        return Outcome("DDL", "CREATE_TABLE_AS_SELECT", update_count=count)

    def _unnamed_table_location(self) -> str:
        """Where Athena puts a CTAS without a location: ``tables/<query id>/`` beside the results."""
        if not self.output_location:
            raise StatementFailed("INVALID_INPUT: a CTAS without external_location needs an output location")
        return self.output_location.rsplit("/", 1)[0] + f"/tables/{self.query_id}/"

    @staticmethod
    def _check_partition_columns(names: list[str], partitioned_by: list[str]) -> None:
        missing = [key for key in partitioned_by if key not in names]
        if missing:
            raise StatementFailed(f"COLUMN_NOT_FOUND: Partition columns {missing} not present in the query")
        if partitioned_by and names[-len(partitioned_by) :] != partitioned_by:
            raise StatementFailed(
                "HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the "
                "same order as the table properties: " + str(partitioned_by)
            )

    def _create_view(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        existing = self.catalog.table(database, name)
        if existing is not None and not match["replace"]:
            raise StatementFailed(f"ALREADY_EXISTS: View '{CATALOG}.{database}.{name}' already exists")
        if existing is not None and existing.get("TableType") != "VIRTUAL_VIEW":
            raise StatementFailed(f"ALREADY_EXISTS: '{CATALOG}.{database}.{name}' is a table, not a view")
        query = match["query"]
        translated = self._translate_sql(query, database)
        described = self._duckdb(f"DESCRIBE {translated}").fetchall()
        columns = [(str(row[0]), athena_result_type(str(row[1]))[0]) for row in described]
        table_input = {
            "Name": name,
            "TableType": "VIRTUAL_VIEW",
            "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "ViewOriginalText": presto_view_text(query, database, columns),
            "ViewExpandedText": "/* Presto View */",
            "StorageDescriptor": {
                "Columns": [
                    {"Name": column, "Type": duckdb_type_to_glue_lenient(str(row[1]))}
                    for (column, _), row in zip(columns, described, strict=True)
                ],
                # Athena stores a view with an empty location; dbt-athena reads it when it expires the
                # view's old Glue versions (after versions_to_keep rebuilds).
                "Location": "",
                "SerdeInfo": {},
            },
            "PartitionKeys": [],
        }
        if existing is None:
            self.catalog.create_table(database, table_input)
        else:
            self.catalog.update_table(database, table_input)
        return Outcome("DDL", "CREATE_VIEW")

    def _create_external_table(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        rest = match["rest"]
        depth, end = 1, 0
        for index, char in enumerate(rest):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                end = index
                break
        columns = _column_definitions(rest[:end])
        tail = rest[end + 1 :]
        if self.catalog.table(database, name) is not None:
            if match["if_not"]:
                return Outcome("DDL", "CREATE_TABLE")
            raise StatementFailed(f"ALREADY_EXISTS: Table '{CATALOG}.{database}.{name}' already exists")
        partition_match = re.search(
            r"partitioned\s+by\s*\((.*?)\)\s*(row|stored|location|tblproperties|$)", tail, re.I | re.S
        )
        keys = _column_definitions(partition_match.group(1)) if partition_match else []
        location_match = re.search(r"location\s+'([^']*)'", tail, re.I)
        if not location_match:
            raise StatementFailed("SYNTAX_ERROR: an external table needs a LOCATION")
        serde_match = re.search(r"row\s+format\s+serde\s+'([^']*)'", tail, re.I)
        delimited = re.search(r"fields\s+terminated\s+by\s+'([^']*)'", tail, re.I)
        stored = re.search(r"stored\s+as\s+(\w+)", tail, re.I)
        serde_properties = re.search(r"with\s+serdeproperties\s*\((.*?)\)", tail, re.I | re.S)
        table_properties = re.search(r"tblproperties\s*\((.*?)\)\s*$", tail, re.I | re.S)
        storage: dict[str, Any]
        stored_as = stored.group(1).lower() if stored else None
        if serde_match or delimited or stored_as == "textfile" or (stored_as is None and not serde_match):
            library = (
                serde_match.group(1) if serde_match else "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
            )
            parameters = (
                {key: str(value) for key, value in properties(serde_properties.group(1)).items()}
                if serde_properties
                else {}
            )
            if delimited:
                parameters["field.delim"] = delimited.group(1)
            elif "LazySimpleSerDe" in library:
                parameters.setdefault("field.delim", "\x01")
            storage = {
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": library, "Parameters": parameters},
            }
            if stored_as == "parquet":
                storage = dict(PARQUET_STORAGE)
        else:
            storage = dict(PARQUET_STORAGE)
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "EXTERNAL": "TRUE",
                **(
                    {key: str(value) for key, value in properties(table_properties.group(1)).items()}
                    if table_properties
                    else {}
                ),
            },
            "StorageDescriptor": {
                **storage,
                "Columns": [{"Name": column, "Type": kind} for column, kind in columns],
                "Location": location_match.group(1),
            },
            "PartitionKeys": [{"Name": column, "Type": kind} for column, kind in keys],
        }
        self.catalog.create_table(database, table_input)
        return Outcome("DDL", "CREATE_TABLE")

    def _insert(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        if table.get("TableType") == "VIRTUAL_VIEW":
            raise StatementFailed(f"NOT_SUPPORTED: Inserting into views is not supported: {database}.{name}")
        storage = table["StorageDescriptor"]
        table_columns = [(column["Name"].lower(), column["Type"]) for column in storage["Columns"]]
        keys = [(column["Name"].lower(), column["Type"]) for column in table.get("PartitionKeys", [])]
        every_column = table_columns + keys
        names, _types, count = self._materialise(match["query"])
        targets = (
            [unquote(part) for part in split_top_level(match["columns"].strip()[1:-1])]
            if match["columns"]
            else [column for column, _ in every_column]
        )
        if len(targets) != len(names):
            raise StatementFailed(
                f"TYPE_MISMATCH: Insert query has {len(names)} columns, the target has {len(targets)}"
            )
        source = dict(zip(targets, names, strict=True))
        select = ", ".join(
            f"CAST({quoted(source[column])} AS {glue_type_to_duckdb(kind)}) AS {quoted(column)}"
            if column in source
            else f"CAST(NULL AS {glue_type_to_duckdb(kind)}) AS {quoted(column)}"
            for column, kind in every_column
        )
        self._duckdb(f"CREATE OR REPLACE TEMP TABLE sandbox_result AS SELECT {select} FROM sandbox_result")
        if count:
            written = self._write(
                storage["Location"], [column for column, _ in every_column], [key for key, _ in keys]
            )
            if written:
                self.catalog.add_partitions(database, table, written)
        return Outcome("DML", "INSERT", update_count=count)

    def _drop(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self.catalog.table(database, name)
        if table is None:
            if match["if_exists"]:
                return Outcome("DDL", "DROP_TABLE")
            raise StatementFailed(f"TABLE_NOT_FOUND: Table '{CATALOG}.{database}.{name}' does not exist")
        is_view = table.get("TableType") == "VIRTUAL_VIEW"
        if (match["kind"].lower() == "view") != is_view:
            raise StatementFailed(
                f"NOT_SUPPORTED: '{database}.{name}' is {'a view' if is_view else 'a table'}"
            )
        # An external table's data stays in S3, as on Athena.
        self.catalog.delete_table(database, name)
        return Outcome("DDL", "DROP_VIEW" if is_view else "DROP_TABLE")

    def _partition_spec(self, spec: str) -> dict[str, str]:
        return {
            key.strip().strip('`"').lower(): literal_text(value)
            for key, _, value in (item.partition("=") for item in split_top_level(spec))
        }

    def _values_in_key_order(self, table: dict[str, Any], spec: dict[str, str]) -> list[str]:
        keys = [column["Name"].lower() for column in table.get("PartitionKeys", [])]
        if sorted(keys) != sorted(spec):
            raise StatementFailed(
                f"INVALID_PARTITION: the partition spec {spec} does not name the keys {keys}"
            )
        return [spec[key] for key in keys]

    def _add_partitions(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        base = table["StorageDescriptor"]["Location"].rstrip("/")
        partitions = []
        for spec, location in re.findall(
            r"partition\s*\(([^)]*)\)(?:\s*location\s+'([^']*)')?", match["rest"], re.I
        ):
            values = self._values_in_key_order(table, self._partition_spec(spec))
            keys = [column["Name"] for column in table["PartitionKeys"]]
            partitions.append((values, location or f"{base}/{partition_folder(keys, values)}/"))
        self.catalog.add_partitions(database, table, partitions)
        return Outcome("DDL", "ALTER_TABLE_ADD_PARTITION")

    def _drop_partitions(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        specs = re.findall(r"partition\s*\(([^)]*)\)", match["rest"], re.I)
        existing = {tuple(partition["Values"]) for partition in self.catalog.partitions(database, name)}
        values = [self._values_in_key_order(table, self._partition_spec(spec)) for spec in specs]
        self.catalog.drop_partitions(database, name, [item for item in values if tuple(item) in existing])
        return Outcome("DDL", "ALTER_TABLE_DROP_PARTITION")

    def _set_location(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        location = literal_text(match["location"])
        if match["spec"]:
            values = self._values_in_key_order(table, self._partition_spec(match["spec"]))
            self.catalog.update_partition_location(database, name, values, location)
        else:
            table_input = table_input_of(table)
            table_input["StorageDescriptor"] = {**table_input["StorageDescriptor"], "Location": location}
            self.catalog.update_table(database, table_input)
        return Outcome("DDL", "ALTER_TABLE_SET_LOCATION")

    def _rename(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        new_database, new_name = split_name(match["new"], database)
        table = self._glue_table(database, name)
        if self.catalog.table(new_database, new_name) is not None:
            raise StatementFailed(
                f"ALREADY_EXISTS: Table '{CATALOG}.{new_database}.{new_name}' already exists"
            )
        partitions = self.catalog.partitions(database, name)
        self.catalog.create_table(new_database, {**table_input_of(table), "Name": new_name})
        if partitions:
            renamed = self._glue_table(new_database, new_name)
            self.catalog.add_partitions(
                new_database,
                renamed,
                [
                    (partition["Values"], partition["StorageDescriptor"]["Location"])
                    for partition in partitions
                ],
            )
        self.catalog.delete_table(database, name)
        return Outcome("DDL", "ALTER_TABLE_RENAME")

    def _set_properties(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        table_input = table_input_of(table)
        table_input["Parameters"] = {
            **table_input.get("Parameters", {}),
            **{key: str(value) for key, value in properties(match["props"]).items()},
        }
        self.catalog.update_table(database, table_input)
        return Outcome("DDL", "ALTER_TABLE_SET_TBLPROPERTIES")

    def _repair(self, match: re.Match[str]) -> Outcome:
        """MSCK REPAIR TABLE: every key=value folder path under the location becomes a partition."""
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        keys = [column["Name"].lower() for column in table.get("PartitionKeys", [])]
        base = table["StorageDescriptor"]["Location"].rstrip("/")
        found: dict[tuple[str, ...], str] = {}
        for relative in self.catalog.folders(base):
            # Only folders: an object directly named key=value (or Hadoop's key=value_$folder$ marker)
            # is no partition.
            parts = relative.split("/")[:-1][: len(keys)]
            if len(parts) != len(keys) or not all("=" in part for part in parts):
                continue
            pairs = [folder_partition(part) for part in parts]
            if all(key.lower() == expected for (key, _), expected in zip(pairs, keys, strict=True)):
                found[tuple(value for _, value in pairs)] = base + "/" + "/".join(parts) + "/"
        self.catalog.add_partitions(
            database, table, [(list(values), location) for values, location in found.items()]
        )
        added = [
            f"Repair: Added partition to metastore {name}:"
            + "/".join(found[values].split("/")[-1 - len(keys) : -1])
            for values in found
        ]
        return text_outcome(added)

    # metadata
    def _create_database(self, match: re.Match[str]) -> Outcome:
        name = unquote(match["name"])
        if not self.catalog.has_database(name):
            self.catalog.create_database(name)
        elif not re.search(r"if\s+not\s+exists", self.sql, re.I):
            raise StatementFailed(f"ALREADY_EXISTS: Schema '{name}' already exists")
        return Outcome("DDL", "CREATE_DATABASE")

    def _drop_database(self, match: re.Match[str]) -> Outcome:
        name = unquote(match["name"])
        if self.catalog.has_database(name):
            if self.catalog.tables(name) and not re.search(r"cascade\s*$", self.sql, re.I):
                raise StatementFailed(f"SCHEMA_NOT_EMPTY: Schema '{name}' is not empty")
            self.catalog.drop_database(name)
        elif not re.search(r"if\s+exists", self.sql, re.I):
            raise StatementFailed(f"SCHEMA_NOT_FOUND: Schema '{name}' does not exist")
        return Outcome("DDL", "DROP_DATABASE")

    def _show_databases(self, match: re.Match[str]) -> Outcome:
        pattern = _like(match["pattern"])
        return text_outcome(
            (name for name in sorted(self.catalog.databases()) if pattern.match(name)), "database_name"
        )

    def _show_tables(self, match: re.Match[str]) -> Outcome:
        database = unquote(match["db"]) if match["db"] else self.database
        pattern = _like(match["pattern"])
        views_only = match.group(1).lower() == "views"
        names = [
            table["Name"]
            for table in self.catalog.tables(database)
            if pattern.match(table["Name"]) and (not views_only or table.get("TableType") == "VIRTUAL_VIEW")
        ]
        return text_outcome(sorted(names), "tab_name")

    def _show_partitions(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        keys = [column["Name"] for column in table.get("PartitionKeys", [])]
        return text_outcome(
            sorted(
                partition_folder(keys, partition["Values"])
                for partition in self.catalog.partitions(database, name)
            ),
            "partition",
        )

    def _show_columns(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        columns = table.get("StorageDescriptor", {}).get("Columns", []) + table.get("PartitionKeys", [])
        return text_outcome((column["Name"] for column in columns), "field")

    def _show_properties(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        return text_outcome(f"{key}\t{value}" for key, value in sorted(table.get("Parameters", {}).items()))

    def _describe(self, match: re.Match[str]) -> Outcome:
        database, name = split_name(match["name"], self.database)
        table = self._glue_table(database, name)
        columns = table.get("StorageDescriptor", {}).get("Columns", [])
        keys = table.get("PartitionKeys", [])
        lines = [f"{column['Name']}\t{column['Type']}\t" for column in columns + keys]
        if keys:
            lines += ["", "# Partition Information", "# col_name\tdata_type\tcomment", ""]
            lines += [f"{column['Name']}\t{column['Type']}\t" for column in keys]
        return text_outcome(lines)


def duckdb_type_to_glue_lenient(duckdb_type: str) -> str:
    """A view's column types in Glue; a view may have types a Hive table cannot store."""
    try:
        return duckdb_type_to_glue(duckdb_type)
    except StatementFailed:
        return "timestamp" if "TIME ZONE" in duckdb_type.upper() else "string"


def _column_definitions(text: str) -> list[tuple[str, str]]:
    definitions = []
    for item in split_top_level(text):
        item = re.sub(r"\s+comment\s+'.*'$", "", item.strip(), flags=re.I)
        name, _, kind = item.partition(" ")
        definitions.append((unquote(name), kind.strip().lower()))
    return definitions


def _like(pattern: str | None) -> re.Pattern[str]:
    if not pattern:
        return re.compile(".*")
    text = literal_text(pattern)
    return re.compile("^" + ".*".join(re.escape(part) for part in re.split(r"[*%]", text)) + "$", re.I)


def _athena_error(error: duckdb.Error) -> str:
    message = str(error).strip()
    kinds = {
        "Catalog Error": "TABLE_NOT_FOUND" if "Table" in message else "FUNCTION_NOT_FOUND",
        "Binder Error": "COLUMN_NOT_FOUND",
        "Conversion Error": "INVALID_CAST_ARGUMENT",
        "Invalid Input Error": "HIVE_BAD_DATA",
        "Parser Error": "SYNTAX_ERROR",
        "Out of Range Error": "NUMERIC_VALUE_OUT_OF_RANGE",
    }
    for prefix, kind in kinds.items():
        if message.startswith(prefix):
            return f"{kind}: {message}"
    return f"GENERIC_INTERNAL_ERROR: {message}"
