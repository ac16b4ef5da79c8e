"""Who may read what (LGPD: raw CPFs live in landing, bronze and silver), decided by evaluating the
template's own policies: analysts reach gold and nothing below it; no pipeline role reads the
analysts' query results."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.conftest import resources_of
from tests.infrastructure.policy import (
    ACCOUNT,
    REGION,
    STACK,
    Policy,
    bucket_policy,
    glue_arn,
    role_arn,
    role_policy,
)

LAKE = "arn:aws:s3:::lake"
RESULTS = f"arn:aws:s3:::{STACK}-athenaresultsbucket"
BELOW_GOLD = ("bronze", "silver")
HIDDEN_PREFIXES = ("landing/sftp/acme/2025-01-01", "bronze/partner_csv", "silver/stg_partner_csv__employees", "gold_build/client_health", "quarantine/client_health/2025-01-01", "reports/manifests")


@pytest.fixture(scope="module")
def analysts(document: dict[str, Any]) -> Policy:
    return role_policy(document, "AnalystsRole")


def test_analysts_query_gold_tables_and_objects_in_their_workgroup(analysts: Policy) -> None:
    assert analysts.allows("glue:GetTable", glue_arn("table", "gold", "salary_averages"))
    assert analysts.allows("glue:GetPartitions", glue_arn("table", "gold", "client_health"))
    assert analysts.allows("glue:GetDatabase", glue_arn("database", "gold"))
    assert analysts.allows("s3:GetObject", f"{LAKE}/gold/salary_averages/ano=2025/mes=1/part-0.parquet")
    assert analysts.allows("s3:ListBucket", LAKE, **{"s3:prefix": "gold/salary_averages/"})
    workgroup = f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{STACK}-analysts"
    assert analysts.allows("athena:StartQueryExecution", workgroup)
    assert analysts.allows("s3:GetObject", f"{RESULTS}/analysts/query-id.csv")


@pytest.mark.parametrize("database", BELOW_GOLD)
def test_analysts_are_denied_the_catalog_below_gold(analysts: Policy, database: str) -> None:
    assert not analysts.allows("glue:GetDatabase", glue_arn("database", database))
    for action in ("glue:GetTable", "glue:GetTables", "glue:GetPartitions", "glue:BatchGetPartition"):
        assert not analysts.allows(action, glue_arn("table", database, "partner_csv"))


@pytest.mark.parametrize("prefix", HIDDEN_PREFIXES)
def test_analysts_are_denied_every_lake_prefix_below_gold(analysts: Policy, prefix: str) -> None:
    assert not analysts.allows("s3:GetObject", f"{LAKE}/{prefix}/part-0.parquet")
    assert not analysts.allows("s3:ListBucket", LAKE, **{"s3:prefix": f"{prefix}/"})


def test_analysts_cannot_use_the_pipeline_workgroup_or_read_its_results(analysts: Policy) -> None:
    assert not analysts.allows("athena:StartQueryExecution", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{STACK}-pipeline")
    assert not analysts.allows("s3:GetObject", f"{RESULTS}/pipeline/dbt-test-failures.csv")


def test_no_pipeline_role_reads_the_analysts_results(document: dict[str, Any]) -> None:
    roles = [name for name in resources_of(document, "AWS::IAM::Role") if name != "AnalystsRole"]
    assert len(roles) > 10
    result = f"{RESULTS}/analysts/query-id.csv"
    for name in roles:
        assert not role_policy(document, name).allows("s3:GetObject", result), name
    # And the results bucket refuses it to anyone else whatever their identity policy says.
    bucket = bucket_policy(document, "AthenaResultsBucketPolicy")
    denies = Policy([{**s, "Effect": "Allow"} for s in bucket.statements if s["Effect"] == "Deny" and s["Sid"] != "TlsOnly"])
    assert denies.allows("s3:GetObject", result, **{"aws:PrincipalArn": role_arn("DbtBuildRole")})
    assert not denies.allows("s3:GetObject", result, **{"aws:PrincipalArn": role_arn("AnalystsRole")})


def test_the_evaluator_is_not_vacuous_pipeline_roles_reach_what_they_build(document: dict[str, Any]) -> None:
    dbt = role_policy(document, "DbtBuildRole")
    assert dbt.allows("glue:CreateTable", glue_arn("table", "silver", "stg_partner_csv__employees"))
    assert dbt.allows("s3:PutObject", f"{LAKE}/silver/stg_partner_csv__employees/part-0.parquet")
    assert not dbt.allows("s3:GetObject", f"{LAKE}/landing/sftp/acme/2025-01-01/file.csv")
    assert not dbt.allows("glue:UpdateTable", glue_arn("table", "gold", "salary_averages"))
    landed = role_policy(document, "PartnerCsvLandedRole")
    assert landed.allows("glue:StartJobRun", glue_arn("job", "partner-csv-to-bronze"))
    assert not landed.allows("glue:StartJobRun", glue_arn("job", "aurora-extract"))
    assert not landed.allows("s3:GetObject", f"{LAKE}/bronze/positional/contracts/x.parquet")
