"""A small IAM evaluator over the template: resolves the intrinsic functions of each role's policy for
concrete parameter values (``sandbox.intrinsics``, with ids invented for a stack never
deployed), then decides a request as IAM does for identity policies (an explicit Deny
wins, else any matching Allow, else denied). Supports what the template uses: Action and Resource
wildcards, and the StringEquals / StringLike / ArnEquals / ArnNotEquals / Bool conditions."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.intrinsics import IntrinsicResolver, parameter_values

ACCOUNT, REGION, STACK = "123456789012", "us-east-1", "lakehouse"


@dataclass(frozen=True)
class PlannedIds:
    """What ``Ref`` and ``Fn::GetAtt`` of a resource yield for a stack never deployed: a bucket its
    name (given, or the one CloudFormation generates from the stack and logical id), a role or key its
    ARN, any other resource an ARN of its service named after its logical id."""

    resources: dict[str, Any]
    resolve: Callable[[Any], Any]

    def ref(self, name: str) -> Any:
        kind = self.resources[name]["Type"]
        if kind == "AWS::S3::Bucket":
            return self.resolve(self.resources[name]["Properties"].get("BucketName")) or f"{STACK}-{name.lower()}"
        return f"arn:aws:{kind.split('::')[1].lower()}:{REGION}:{ACCOUNT}:{name}"

    def attribute(self, name: str, attribute: str) -> str:
        if attribute == "Arn" and self.resources[name]["Type"] == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{name}"
        if attribute == "Arn" and self.resources[name]["Type"] == "AWS::KMS::Key":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{name}"
        return f"{self.ref(name)}.{attribute}"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            actual = context.get(key)
            if actual is None:
                return False
            values = [str(item) for item in _listed(expected)]
            if operator in {"StringEquals", "ArnEquals", "Bool"}:
                holds = actual in values
            elif operator in {"StringLike", "ArnLike"}:
                holds = any(_matches(value, actual) for value in values)
            elif operator == "ArnNotEquals":
                holds = actual not in values
            else:
                raise NotImplementedError(operator)
            if not holds:
                return False
    return True


@dataclass(frozen=True)
class Policy:
    statements: list[dict[str, Any]]

    def _applies(self, statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
        return (
            any(_matches(pattern, action, case_sensitive=False) for pattern in _listed(statement["Action"]))
            and any(_matches(pattern, resource) for pattern in _listed(statement["Resource"]))
            and _condition_holds(statement.get("Condition", {}), context)
        )

    def allows(self, action: str, resource: str, **context: str) -> bool:
        relevant = [s for s in self.statements if self._applies(s, action, resource, context)]
        if any(statement["Effect"] == "Deny" for statement in relevant):
            return False
        return any(statement["Effect"] == "Allow" for statement in relevant)


def resolver(document: dict[str, Any], **parameters: Any) -> IntrinsicResolver:
    given = {"LakeBucketName": "lake", "ArtifactBucket": "artifacts", "ArtifactPrefix": "lakehouse/abc"} | parameters
    # A bucket's Ref is its BucketName property, which may itself hold intrinsics: the ids resolve
    # through the resolver they serve.
    ids = PlannedIds(document["Resources"], lambda value: intrinsics.resolve(value))
    intrinsics = IntrinsicResolver(
        document,
        parameter_values(document, given),
        ids.ref,
        ids.attribute,
        stack_name=STACK,
        region=REGION,
        account=ACCOUNT,
    )
    return intrinsics


def role_policy(document: dict[str, Any], role: str, **parameters: Any) -> Policy:
    resolved = resolver(document, **parameters).resolve(document["Resources"][role]["Properties"])
    return Policy([statement for policy in resolved["Policies"] for statement in policy["PolicyDocument"]["Statement"]])


def bucket_policy(document: dict[str, Any], name: str, **parameters: Any) -> Policy:
    resolved = resolver(document, **parameters).resolve(document["Resources"][name]["Properties"])
    return Policy(resolved["PolicyDocument"]["Statement"])


def role_arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role}"


def glue_arn(kind: str, *names: str) -> str:
    return f"arn:aws:glue:{REGION}:{ACCOUNT}:{kind}" + "".join(f"/{name}" for name in names)
