"""Partition folder names as Hive's FileUtils.escapePathName / unescapePathName write and read them."""

from __future__ import annotations

import pyarrow as pa
import pytest

from core.catalog import BronzeTable, partitions_present
from core.hive_partitions import (
    DEFAULT_PARTITION,
    escape_path_name,
    folder_partition,
    partition_folder,
    unescape_path_name,
)


def test_exactly_hive_s_character_set_is_escaped_in_upper_case_hex() -> None:
    escaped = "".join(chr(code) for code in range(0x20)) + '"#%\'*/:=?\\\x7f{[]^'
    assert escape_path_name(escaped) == "".join(f"%{ord(char):02X}" for char in escaped)
    kept = " !$&()+,-.;<>@_`|}~azAZ09ãé中"
    assert escape_path_name(kept) == kept


def test_an_empty_value_is_hive_s_default_partition() -> None:
    assert escape_path_name("") == DEFAULT_PARTITION


def test_unescaping_turns_each_sequence_into_its_character_and_leaves_a_stray_percent() -> None:
    assert unescape_path_name("N%2FA") == "N/A"
    assert unescape_path_name("50%25%zz%4") == "50%%zz%4"
    value = "a/b=c%d São\x01"
    assert unescape_path_name(escape_path_name(value)) == value


def test_a_folder_path_names_each_key_and_escaped_value() -> None:
    assert partition_folder(["convenio", "ano"], ["N/A", "2024"]) == "convenio=N%2FA/ano=2024"
    assert folder_partition("convenio=a%3Db") == ("convenio", "a=b")
    with pytest.raises(ValueError, match="not a key=value"):
        folder_partition("rows")


def test_bronze_registration_reads_a_spark_escaped_folder_back_as_the_raw_value() -> None:
    table = BronzeTable("clients", "bronze/clients", pa.schema([("id", pa.int64())]), ("convenio", "ano"))
    present = partitions_present(table, ["convenio=N%2FA/ano=2024/part-0.parquet", "convenio=SUS/ano=2024/part-0.parquet"])
    assert present == {("N/A", "2024"): "convenio=N%2FA/ano=2024/", ("SUS", "2024"): "convenio=SUS/ano=2024/"}
