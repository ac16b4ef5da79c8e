"""Schema drift between the source and the previous extraction of a table.

Policy:
- a column added at the source lands from this extraction on; earlier days read it as null (the
  bronze view unions the days by column name), so staging and gold keep building;
- a column removed at the source fails that table (the other tables still land) with an error naming
  table and column, because silently losing a column breaks whatever reads it downstream. When the
  removal is intended, list it as ``"table.column"`` in ``LAKEHOUSE_AURORA_ACCEPT_DROPPED_COLUMNS``:
  the column is then kept in bronze with its previous type, as nulls, for as long as it stays listed;
- a column whose type changed lands with its new type (a warning is logged); the bronze view reads
  every day with the latest type.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pyarrow as pa

from ingestion.aurora.columns import SourceColumn

log = logging.getLogger(__name__)


class SchemaDriftError(ValueError):
    pass


@dataclass(frozen=True)
class Drift:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    retyped: tuple[tuple[str, str, str], ...]  # (column, previous type, new type)


def compare(previous: pa.Schema, columns: Sequence[SourceColumn]) -> Drift:
    current = {column.name: column.arrow_type for column in columns}
    before = {item.name: item.type for item in previous}
    return Drift(
        added=tuple(name for name in current if name not in before),
        removed=tuple(name for name in before if name not in current),
        retyped=tuple(
            (name, str(before[name]), str(kind))
            for name, kind in current.items()
            if name in before and before[name] != kind
        ),
    )


def null_filled_fields(
    table: str, previous: pa.Schema, previous_day: str, drift: Drift, accepted: Collection[str]
) -> list[pa.Field]:
    """The removed columns bronze keeps as nulls; raises SchemaDriftError for a removal nobody accepted."""
    refused = [name for name in drift.removed if f"{table}.{name}" not in accepted]
    if refused:
        names = ", ".join(repr(name) for name in refused)
        raise SchemaDriftError(
            f"aurora table {table!r}: column(s) {names} of the previous extraction ({previous_day}) no longer "
            f"exist at the source. If intended, add {', '.join(f'{table}.{name}' for name in refused)} to "
            "LAKEHOUSE_AURORA_ACCEPT_DROPPED_COLUMNS to keep them as nulls."
        )
    for name, before, after in drift.retyped:
        log.warning("aurora table %r: column %r changed type from %s to %s", table, name, before, after)
    if drift.added:
        log.info("aurora table %r: new column(s) %s", table, ", ".join(drift.added))
    return [previous.field(name) for name in drift.removed]
