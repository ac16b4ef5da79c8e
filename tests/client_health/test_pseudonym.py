"""The client id made in the Glue job with Spark built-ins equals HMAC-SHA256 as Python's hmac computes it
(the reference, and what Athena's hmac_sha256 returns), for any key length; the key never shows in a plan."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from pydantic import SecretStr
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ingestion.client_health.pseudonym import PseudonymKey, PseudonymKeyError, pseudonymous_id
from ingestion.client_health.transforms import with_pseudonymous_id

pytestmark = pytest.mark.spark

CPFS = ["529.982.247-25", "52998224725", "111.444.777-35", "000.000.001/91", "123", "5299822472x", None]
KEYS = [
    "short",
    "k" * 64,  # exactly one SHA-256 block: used as is
    "a much longer key than one SHA-256 block of sixty-four bytes, hashed first!",
    "chave com acentuação e ç",  # UTF-8 bytes, not characters
]


def _ids(spark: SparkSession, key: str, cpfs: list[str | None]) -> list[tuple[str | None, str | None, str]]:
    rows = spark.createDataFrame([(index, cpf) for index, cpf in enumerate(cpfs)], "n int, cpf string")
    keyed = with_pseudonymous_id(rows, F.col("cpf"), PseudonymKey(SecretStr(key)))
    collected = sorted(keyed.collect(), key=lambda row: row["n"])  # no shuffle for seven rows
    return [(row["cpf"], row["id"], row["key_version"]) for row in collected]


@pytest.mark.parametrize("key", KEYS)
def test_spark_ids_equal_the_python_hmac_reference(spark: SparkSession, key: str) -> None:
    found = _ids(spark, key, CPFS)

    digits = {cpf: cpf.replace(".", "").replace("-", "").replace("/", "") for cpf in CPFS if cpf is not None}
    expected = [
        pseudonymous_id(key, digits[cpf]) if cpf is not None and digits[cpf].isdigit() and len(digits[cpf]) == 11 else None
        for cpf in CPFS
    ]
    assert [identifier for _cpf, identifier, _version in found] == expected
    # The punctuated and the bare CPF are one client; the id is HMAC's first 16 bytes as a UUID v8.
    assert found[0][1] == found[1][1] and found[0][1] != found[2][1]
    reference = hmac.new(key.encode(), b"52998224725", hashlib.sha256).hexdigest()
    uuid_hex = str(found[1][1]).replace("-", "")
    assert uuid_hex[:12] == reference[:12] and uuid_hex[13:16] == reference[13:16] and uuid_hex[12] == "8"
    assert uuid_hex[16] in "89ab" and uuid_hex[17:] == reference[17:32]
    assert {version for _cpf, _id, version in found} == {PseudonymKey(SecretStr(key)).version}


def test_the_same_cpf_and_key_give_the_same_id_on_every_run_and_another_key_another(spark: SparkSession) -> None:
    first, again = _ids(spark, "key-one", ["52998224725"]), _ids(spark, "key-one", ["52998224725"])
    other = _ids(spark, "key-two", ["52998224725"])
    assert first == again
    assert other[0][1] != first[0][1] and other[0][2] != first[0][2]


def test_the_key_is_in_no_plan_spark_prints(spark: SparkSession) -> None:
    key = "plan-test-secret-key"
    inner, outer = PseudonymKey(SecretStr(key)).hmac_pads()
    forms = [key, key.encode().hex(), base64.b64encode(key.encode()).decode(), inner.hex(), outer.hex()]
    rows = spark.createDataFrame([("52998224725",)], "cpf string")
    keyed = with_pseudonymous_id(rows, F.col("cpf"), PseudonymKey(SecretStr(key)))
    keyed.collect()
    plans = keyed._jdf.queryExecution().toString()  # parsed, analyzed, optimized and physical plans
    assert "BroadcastNestedLoopJoin" in plans or "BroadcastHashJoin" in plans  # the pads table is there
    for form in forms:
        assert form.lower() not in plans.lower(), form


def test_the_key_version_names_the_key_without_revealing_it() -> None:
    key = PseudonymKey(SecretStr("version-test-key"))
    assert key.version == PseudonymKey(SecretStr("version-test-key")).version
    assert len(key.version) == 16 and key.version != PseudonymKey(SecretStr("another")).version
    assert key.version not in hashlib.sha256(b"version-test-key").hexdigest()
    assert "version-test-key" not in repr(key)
    with pytest.raises(PseudonymKeyError, match="empty"):
        PseudonymKey(SecretStr(""))
