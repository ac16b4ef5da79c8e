"""Hive partition folder names, as Athena (Trino's Hive connector), Spark and Glue write and read them.

A partition's values are stored raw in the Glue Data Catalog; its folder is ``key=value`` with each
character of Hive's ``FileUtils.escapePathName`` set written as ``%XX`` (upper-case hex of the character):
a value "N/A" is one folder, ``convenio=N%2FA``, not two. Other characters, non-ASCII included, are
written as they are ("São Paulo" stays "São Paulo"). A null or empty value is Hive's default partition.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
# FileUtils.escapePathName's set: the control characters 0x00-0x1F, DEL and these.
_ESCAPED = frozenset('"#%\'*/:=?\\\x7f{[]^') | frozenset(chr(code) for code in range(0x20))
_ESCAPE_SEQUENCE = re.compile(r"%([0-9A-Fa-f]{2})")


def escape_path_name(text: str) -> str:
    if not text:
        return DEFAULT_PARTITION
    return "".join(f"%{ord(char):02X}" if char in _ESCAPED else char for char in text)


def unescape_path_name(text: str) -> str:
    """Hive's unescapePathName: each ``%XX`` is the character of that code (not a UTF-8 byte)."""
    return _ESCAPE_SEQUENCE.sub(lambda match: chr(int(match.group(1), 16)), text)


def partition_folder(keys: Sequence[str], values: Sequence[str]) -> str:
    """``("convenio", "ano"), ("N/A", "2024")`` -> ``convenio=N%2FA/ano=2024`` (no trailing slash)."""
    return "/".join(
        f"{escape_path_name(key)}={escape_path_name(value)}" for key, value in zip(keys, values, strict=True)
    )


def folder_partition(folder: str) -> tuple[str, str]:
    """One ``key=value`` folder name -> (key, value), both unescaped; the first ``=`` separates them
    (an ``=`` inside a key or value is escaped)."""
    key, separator, value = folder.partition("=")
    if not separator:
        raise ValueError(f"{folder!r} is not a key=value partition folder")
    return unescape_path_name(key), unescape_path_name(value)
