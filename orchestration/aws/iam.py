"""IAM statements, each scoped to the prefixes, tables, jobs, secrets and key a role needs.

ARNs are ``Fn::Sub`` strings over the template's parameters and resources, so the template stays
account- and region-neutral. ``FORCED_WILDCARDS`` lists the only actions granted on ``*``, each with
the reason AWS leaves no narrower resource.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from orchestration.aws.components import CatalogAccess, LakeAccess

Statement = dict[str, Any]

# Action -> why it cannot be scoped to a resource (the Service Authorization Reference lists no
# resource type for it). Every other statement names its resources.
FORCED_WILDCARDS: dict[str, str] = {
    "cloudwatch:PutMetricData": "no resource type; narrowed by the cloudwatch:namespace condition",
    "ec2:DescribeVpcEndpoints": "Describe* actions support no resource-level permissions",
    "ec2:DescribeRouteTables": "Describe* actions support no resource-level permissions",
    "ec2:DescribeNetworkInterfaces": "Describe* actions support no resource-level permissions",
    "ec2:DescribeSecurityGroups": "Describe* actions support no resource-level permissions",
    "ec2:DescribeSubnets": "Describe* actions support no resource-level permissions",
    "ec2:DescribeVpcAttribute": "Describe* actions support no resource-level permissions",
    "ec2:CreateNetworkInterface": "Glue creates the job's ENIs in the connection's subnet at run time;"
    " the interface ARN does not exist before",
    "ec2:DeleteNetworkInterface": "Glue deletes the ENIs it created; their ids are unknown in advance",
    "ec2:CreateTags": "Glue tags the ENIs it creates; their ids are unknown in advance",
    "ec2:DeleteTags": "Glue untags the ENIs it created; their ids are unknown in advance",
}

LAKE_BUCKET = "arn:aws:s3:::${LakeBucketName}"
RESULTS_BUCKET = "arn:aws:s3:::${AthenaResultsBucket}"
GLUE = "arn:aws:glue:${AWS::Region}:${AWS::AccountId}"
REGIONAL = "${AWS::Region}:${AWS::AccountId}"

CATALOG_READ = (
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
)
CATALOG_WRITE = (
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:DeleteTable",
    "glue:BatchDeleteTable",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
    "glue:GetTableVersions",
    "glue:DeleteTableVersion",
    "glue:BatchDeleteTableVersion",
)
ATHENA_QUERY = (
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryRuntimeStatistics",
    "athena:StopQueryExecution",
    "athena:GetWorkGroup",
    "athena:ListQueryExecutions",
    "athena:BatchGetQueryExecution",
)


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def allow(actions: Sequence[str], resources: Any, condition: dict[str, Any] | None = None) -> Statement:
    statement: Statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(actions: Sequence[str], resources: Any) -> Statement:
    return {"Effect": "Deny", "Action": sorted(actions), "Resource": resources}


def _objects(bucket_arn: str, prefixes: Iterable[str]) -> list[dict[str, str]]:
    return [sub(f"{bucket_arn}/{prefix}/*") for prefix in sorted(set(prefixes))]


def listing(bucket_arn: str, prefixes: Iterable[str]) -> Statement:
    wanted = sorted(set(prefixes))
    return allow(
        ["s3:ListBucket"],
        sub(bucket_arn),
        {"StringLike": {"s3:prefix": [pattern for prefix in wanted for pattern in (prefix, f"{prefix}/*")]}},
    )


def lake_statements(access: LakeAccess) -> list[Statement]:
    statements: list[Statement] = []
    readable = {*access.read, *access.write}
    if not readable:
        return statements
    statements.append(allow(["s3:GetObject"], _objects(LAKE_BUCKET, readable)))
    if access.write:
        statements.append(allow(["s3:PutObject", "s3:DeleteObject"], _objects(LAKE_BUCKET, access.write)))
    statements.append(listing(LAKE_BUCKET, readable))
    statements.append(key_use())
    return statements


def key_use() -> Statement:
    """The lake key: S3 objects, the Athena results and the pseudonym secret are encrypted with it."""
    return allow(["kms:Decrypt", "kms:GenerateDataKey"], {"Fn::GetAtt": ["LakeKey", "Arn"]})


def catalog_resources(databases: Iterable[str]) -> list[dict[str, str]]:
    names = sorted(set(databases))
    return [
        sub(f"{GLUE}:catalog"),
        *(sub(f"{GLUE}:database/{name}") for name in names),
        *(sub(f"{GLUE}:table/{name}/*") for name in names),
    ]


def catalog_statements(access: CatalogAccess) -> list[Statement]:
    statements: list[Statement] = []
    if access.read or access.write:
        statements.append(allow(CATALOG_READ, catalog_resources({*access.read, *access.write})))
    if access.write:
        statements.append(allow(CATALOG_WRITE, catalog_resources(access.write)))
    return statements


def workgroup_name(label: str) -> dict[str, str]:
    return sub(f"${{AWS::StackName}}-{label}")


def athena_statements(label: str, results_prefix: str) -> list[Statement]:
    """Queries in the workgroup ``<stack>-<label>``, whose enforced results go under ``results_prefix``."""
    return [
        allow(ATHENA_QUERY, sub(f"arn:aws:athena:{REGIONAL}:workgroup/${{AWS::StackName}}-{label}")),
        allow(["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"], _objects(RESULTS_BUCKET, [results_prefix])),
        allow(["s3:GetBucketLocation"], sub(RESULTS_BUCKET)),
        listing(RESULTS_BUCKET, [results_prefix]),
    ]


PSEUDONYM_SECRET = "pseudonym_key_secret_id"


def secret_name(setting: str) -> dict[str, Any]:
    """The name of the secret behind a ``*_secret_id`` setting: the key the stack generates, or the
    secret the operator created under the name the parameter gives."""
    if setting == PSEUDONYM_SECRET:
        return sub("${AWS::StackName}/pseudonym-key")
    return {"Ref": secret_parameter(setting)}


def secret_arn(setting: str) -> dict[str, Any]:
    """Secrets Manager appends ``-XXXXXX`` to the name in the ARN."""
    name = "${AWS::StackName}/pseudonym-key" if setting == PSEUDONYM_SECRET else f"${{{secret_parameter(setting)}}}"
    return sub(f"arn:aws:secretsmanager:{REGIONAL}:secret:{name}-*")


def secret_parameter(setting: str) -> str:
    """``aurora_secret_id`` -> ``AuroraSecretName``."""
    return "".join(part.title() for part in setting.removesuffix("_secret_id").split("_")) + "SecretName"


def secret_statements(settings_fields: Sequence[str]) -> list[Statement]:
    if not settings_fields:
        return []
    return [allow(["secretsmanager:GetSecretValue"], [secret_arn(name) for name in settings_fields]), key_use()]


def glue_job_arns(names: Iterable[str]) -> list[dict[str, str]]:
    return [sub(f"{GLUE}:job/{name}") for name in sorted(set(names))]


def role(
    service: str,
    statements: list[Statement],
    managed_policies: Sequence[str] = (),
    principal: Any = None,
) -> dict[str, Any]:
    """One role, one inline policy; duplicate statements (e.g. the key twice) are written once."""
    unique: list[Statement] = []
    for statement in statements:
        if statement not in unique:
            unique.append(statement)
    properties: dict[str, Any] = {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": principal or {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        "Policies": [
            {"PolicyName": "least-privilege", "PolicyDocument": {"Version": "2012-10-17", "Statement": unique}}
        ],
    }
    if managed_policies:
        properties["ManagedPolicyArns"] = list(managed_policies)
    return {"Type": "AWS::IAM::Role", "Properties": properties}
