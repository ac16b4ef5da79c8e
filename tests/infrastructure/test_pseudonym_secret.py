"""The pseudonym key of gold.client_health ids: only the client-files Glue job reads it (its role, its
arguments); dbt's job, which once got it as a dbt var, neither can nor is told where it is."""

from __future__ import annotations

from typing import Any

from tests.infrastructure.conftest import resources_of
from tests.infrastructure.policy import ACCOUNT, REGION, STACK, role_policy

SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{STACK}/pseudonym-key-AbC123"
CLIENT_JOB = "ClientHealthToBronze"


def test_only_the_client_files_job_may_read_the_pseudonym_key(document: dict[str, Any]) -> None:
    readers = {
        name.removesuffix("Role")
        for name in resources_of(document, "AWS::IAM::Role")
        if role_policy(document, name).allows("secretsmanager:GetSecretValue", SECRET)
    }
    assert readers == {CLIENT_JOB}


def test_the_secret_id_is_an_argument_of_the_client_files_job_only(document: dict[str, Any]) -> None:
    jobs = resources_of(document, "AWS::Glue::Job")
    told = {name for name, job in jobs.items() if "--pseudonym_key_secret_id" in job["Properties"]["DefaultArguments"]}
    assert told == {CLIENT_JOB}
    assert "DbtBuild" in jobs
