"""Positional layouts as code: one YAML file per layout in ``ingestion/layouts/``.

A layout is the single source of a positional file's columns: the converter slices by it, the bronze
Arrow schema, the dbt source columns and the gold contract are derived from it. Loading checks that
the fields tile the record exactly (no overlap, no gap, the declared record length) and fails with a
message naming the layout and the field, so a typo never reaches a file.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

LAYOUTS_DIR = Path(__file__).resolve().parents[1] / "layouts"
SOURCE_FILE_COLUMN = "_source_file"
SOURCE_LINE_COLUMN = "_source_line"
PARTITION_COLUMN = "ingestion_date"
# int64 holds every 18-digit number, so numbers parse in one vectorised cast without overflow checks.
MAX_NUMBER_DIGITS = 18
ENCODINGS = ("auto", "utf-8", "cp1252")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED = {SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN, PARTITION_COLUMN}
_SAMPLE_DAY = dt.date(2024, 12, 31)


class LayoutError(ValueError):
    """A layout file that cannot be used; the message names the layout and, when it applies, the field."""


class FieldType(StrEnum):
    STRING = "string"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based, as written in the layout documents
    length: int
    type: FieldType = FieldType.STRING
    implied_decimals: int = 0
    date_format: str | None = None
    required: bool = False
    description: str | None = None

    @property
    def end(self) -> int:
        """1-based position of the last character."""
        return self.start + self.length - 1

    @property
    def offset(self) -> int:
        """0-based position of the first character."""
        return self.start - 1

    def arrow_type(self) -> pa.DataType:
        if self.type is FieldType.INT:
            return pa.int64()
        if self.type is FieldType.DECIMAL:
            return pa.decimal128(self.length, self.implied_decimals)
        if self.type is FieldType.DATE:
            return pa.date32()
        return pa.string()

    def arrow_field(self) -> pa.Field:
        metadata = {"description": self.description} if self.description else None
        return pa.field(self.name, self.arrow_type(), nullable=not self.required, metadata=metadata)


@dataclass(frozen=True)
class ControlRecord:
    """A header or trailer line, recognised by the literal ``match`` at position 1."""

    match: str
    fields: tuple[Field, ...]
    count_field: str | None = None  # trailer only: the number of detail records the sender wrote


@dataclass(frozen=True)
class Layout:
    name: str
    file_pattern: str
    record_length: int
    fields: tuple[Field, ...]
    description: str | None = None
    encoding: str = "auto"
    key: tuple[str, ...] = ()
    header: ControlRecord | None = None
    trailer: ControlRecord | None = None
    source_path: Path | None = field(default=None, compare=False)

    @property
    def column_names(self) -> list[str]:
        return [item.name for item in self.fields]

    @property
    def bronze_table_name(self) -> str:
        return f"positional_{self.name}"

    def field(self, name: str) -> Field:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(f"layout {self.name!r} has no field {name!r}")

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatchcase(file_name.upper(), self.file_pattern.upper())

    def data_schema(self) -> pa.Schema:
        """The layout's own columns, in layout order."""
        return pa.schema([item.arrow_field() for item in self.fields])

    def arrow_schema(self) -> pa.Schema:
        """The bronze schema: the layout's columns plus the lineage of every row."""
        return pa.schema(
            [
                *self.data_schema(),
                pa.field(SOURCE_FILE_COLUMN, pa.string(), nullable=False),
                pa.field(SOURCE_LINE_COLUMN, pa.int64(), nullable=False),
            ]
        )


def _fail(layout: str, message: str, field_name: str | None = None) -> LayoutError:
    where = f"layout {layout!r}" + (f", field {field_name!r}" if field_name else "")
    return LayoutError(f"{where}: {message}")


def _check_keys(
    layout: str, raw: Mapping[str, Any], allowed: set[str], what: str, field_name: str | None = None
) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _fail(layout, f"unknown {what} key(s) {unknown}; allowed: {sorted(allowed)}", field_name)


def _positive_int(layout: str, value: Any, what: str, field_name: str | None = None, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(layout, f"{what} must be an integer >= {minimum}, got {value!r}", field_name)
    return value


_FIELD_KEYS = {"name", "start", "length", "type", "implied_decimals", "format", "required", "description"}


def _parse_field(layout: str, raw: Any, index: int) -> Field:
    if not isinstance(raw, Mapping):
        raise _fail(layout, f"field #{index + 1} must be a mapping, got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise _fail(layout, f"field #{index + 1} needs a lower-case identifier as name, got {name!r}")
    _check_keys(layout, raw, _FIELD_KEYS, "field", name)
    if name in _RESERVED:
        raise _fail(layout, f"the name is reserved for lineage/partition columns {sorted(_RESERVED)}", name)
    start = _positive_int(layout, raw.get("start"), "start (1-based)", name)
    length = _positive_int(layout, raw.get("length"), "length", name)
    try:
        kind = FieldType(raw.get("type", "string"))
    except ValueError:
        raise _fail(
            layout, f"type must be one of {[t.value for t in FieldType]}, got {raw.get('type')!r}", name
        ) from None
    implied = raw.get("implied_decimals", 0)
    if implied and kind is not FieldType.DECIMAL:
        raise _fail(layout, "implied_decimals only applies to decimal fields", name)
    implied = _positive_int(layout, implied, "implied_decimals", name, minimum=0)
    date_format = raw.get("format")
    if kind in (FieldType.INT, FieldType.DECIMAL) and length > MAX_NUMBER_DIGITS:
        raise _fail(layout, f"numbers are at most {MAX_NUMBER_DIGITS} characters, got {length}", name)
    if kind is FieldType.DECIMAL and implied >= length:
        raise _fail(
            layout, f"implied_decimals {implied} leaves no integer digit in {length} characters", name
        )
    if kind is FieldType.DATE:
        if not isinstance(date_format, str) or not date_format:
            raise _fail(layout, "date fields need a format such as '%Y%m%d'", name)
        rendered = _SAMPLE_DAY.strftime(date_format)
        if len(rendered) != length:
            raise _fail(
                layout,
                f"date format {date_format!r} renders {len(rendered)} characters, field has {length}",
                name,
            )
    elif date_format is not None:
        raise _fail(layout, "format only applies to date fields", name)
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise _fail(layout, f"required must be true or false, got {required!r}", name)
    description = raw.get("description")
    return Field(
        name, start, length, kind, implied, date_format, required, str(description) if description else None
    )


def _parse_fields(layout: str, raw: Any, what: str) -> tuple[Field, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(layout, f"{what} needs a non-empty list of fields")
    fields = tuple(_parse_field(layout, item, index) for index, item in enumerate(raw))
    seen: set[str] = set()
    for item in fields:
        if item.name in seen:
            raise _fail(layout, f"{what}: the name is used twice", item.name)
        seen.add(item.name)
    return fields


def _check_tiling(
    layout: str, fields: tuple[Field, ...], record_length: int, what: str, exact_end: bool
) -> None:
    """Fields must cover positions 1.. without overlap or gap; detail records must end at the record length."""
    ordered = sorted(fields, key=lambda item: item.start)
    position = 1
    previous: Field | None = None
    for item in ordered:
        if previous is not None and item.start < position:
            raise _fail(
                layout,
                f"{what}: positions {item.start}-{item.end} overlap field {previous.name!r} ({previous.start}-{previous.end})",
                item.name,
            )
        if item.start > position:
            after = f"after field {previous.name!r}" if previous else "at the start of the record"
            raise _fail(layout, f"{what}: gap at positions {position}-{item.start - 1} {after}", item.name)
        if item.end > record_length:
            raise _fail(
                layout,
                f"{what}: ends at position {item.end}, beyond the record length {record_length}",
                item.name,
            )
        position = item.end + 1
        previous = item
    if exact_end and previous is not None and previous.end != record_length:
        raise _fail(
            layout,
            f"{what}: the last field ends at position {previous.end} but the record length is {record_length}",
            previous.name,
        )


_CONTROL_KEYS = {"match", "fields", "count_field"}


def _parse_control(layout: str, raw: Any, what: str, record_length: int) -> ControlRecord | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _fail(layout, f"{what} must be a mapping")
    _check_keys(layout, raw, _CONTROL_KEYS, what)
    match = raw.get("match")
    if not isinstance(match, str) or not match or len(match) > record_length:
        raise _fail(layout, f"{what}.match must be a non-empty literal at position 1, got {match!r}")
    fields = _parse_fields(layout, raw.get("fields"), what)
    # Control records are padded to the record length; positions after the last field are filler.
    _check_tiling(layout, fields, record_length, what, exact_end=False)
    count_field = raw.get("count_field")
    if count_field is not None:
        if what != "trailer":
            raise _fail(layout, "count_field only applies to the trailer")
        declared = {item.name: item for item in fields}
        if count_field not in declared or declared[count_field].type is not FieldType.INT:
            raise _fail(layout, "trailer.count_field must name an int field of the trailer", str(count_field))
    return ControlRecord(match, fields, count_field)


_LAYOUT_KEYS = {
    "name",
    "description",
    "file_pattern",
    "record_length",
    "encoding",
    "key",
    "fields",
    "header",
    "trailer",
}


def parse_layout(raw: Any, source: str) -> Layout:
    if not isinstance(raw, Mapping):
        raise LayoutError(f"layout file {source}: expected a mapping at the top level")
    name = raw.get("name")
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise LayoutError(f"layout file {source}: name must be a lower-case identifier, got {name!r}")
    _check_keys(name, raw, _LAYOUT_KEYS, "layout")
    pattern = raw.get("file_pattern")
    if not isinstance(pattern, str) or not pattern.strip():
        raise _fail(name, "file_pattern (a glob such as 'CONTRATOS_*.TXT') is required")
    record_length = _positive_int(name, raw.get("record_length"), "record_length")
    encoding = raw.get("encoding", "auto")
    if encoding not in ENCODINGS:
        raise _fail(name, f"encoding must be one of {list(ENCODINGS)}, got {encoding!r}")
    fields = _parse_fields(name, raw.get("fields"), "fields")
    _check_tiling(name, fields, record_length, "record", exact_end=True)
    key = raw.get("key", [])
    if not isinstance(key, list) or not all(isinstance(item, str) for item in key):
        raise _fail(name, f"key must be a list of field names, got {key!r}")
    for item in key:
        if item not in {f.name for f in fields}:
            raise _fail(name, "key names a field the layout does not have", item)
    header = _parse_control(name, raw.get("header"), "header", record_length)
    trailer = _parse_control(name, raw.get("trailer"), "trailer", record_length)
    if (
        header
        and trailer
        and (header.match.startswith(trailer.match) or trailer.match.startswith(header.match))
    ):
        raise _fail(name, f"header match {header.match!r} and trailer match {trailer.match!r} are ambiguous")
    description = raw.get("description")
    return Layout(
        name=name,
        file_pattern=pattern.strip(),
        record_length=record_length,
        fields=tuple(sorted(fields, key=lambda item: item.start)),
        description=str(description).strip() if description else None,
        encoding=encoding,
        key=tuple(key),
        header=header,
        trailer=trailer,
        source_path=Path(source),
    )


def load_layout(path: Path) -> Layout:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LayoutError(f"layout file {path}: not valid YAML: {exc}") from exc
    layout = parse_layout(raw, str(path))
    if layout.name != path.stem:
        raise _fail(layout.name, f"the file must be named {layout.name}.yml, found {path.name}")
    return layout


def load_layouts(directory: Path | None = None) -> dict[str, Layout]:
    """Every layout in the folder, by name (``<name>.yml`` holds layout ``name``)."""
    folder = directory or LAYOUTS_DIR
    layouts = {layout.name: layout for layout in map(load_layout, sorted(folder.glob("*.yml")))}
    if not layouts:
        raise LayoutError(f"no layout files (*.yml) in {folder}")
    return layouts


@lru_cache(maxsize=1)
def default_layouts() -> dict[str, Layout]:
    return load_layouts()


class UnknownLayoutError(LookupError):
    pass


def layout_for_filename(file_name: str, layouts: Mapping[str, Layout] | None = None) -> Layout:
    """The one layout whose file-name pattern matches (case-insensitive); none or several is an error."""
    candidates = [layout for layout in (layouts or default_layouts()).values() if layout.matches(file_name)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UnknownLayoutError(f"no positional layout matches the file name {file_name!r}")
    names = sorted(layout.name for layout in candidates)
    raise UnknownLayoutError(f"file name {file_name!r} matches several layouts {names}")
