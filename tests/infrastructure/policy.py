"""A small IAM evaluator over the template: resolves the intrinsic functions of each role's policy for
concrete parameter values, then decides a request as IAM does for identity policies (an explicit Deny
wins, else any matching Allow, else denied). Supports what the template uses: Action and Resource
wildcards, and the StringEquals / StringLike / ArnEquals / ArnNotEquals / Bool conditions."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

ACCOUNT, REGION, STACK = "123456789012", "us-east-1", "lakehouse"
NO_VALUE = object()


@dataclass
class Resolver:
    parameters: dict[str, Any]
    resources: dict[str, Any]
    conditions: dict[str, Any] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        pseudo = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::StackName": STACK, "AWS::Partition": "aws"}
        if name in pseudo:
            return pseudo[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
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

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                return self.attribute(*argument)
            if key == "Fn::Sub":
                return re.sub(r"\$\{(!?)([\w:.]+)\}", self._substitute, argument)
            if key == "Fn::Join":
                return argument[0].join(str(item) for item in self.resolve(argument[1]))
            if key == "Fn::Select":
                return self.resolve(argument[1])[argument[0]]
            if key == "Fn::If":
                return self.resolve(argument[1] if self.condition(argument[0]) else argument[2])
            if key == "Fn::Equals":
                return self.resolve(argument[0]) == self.resolve(argument[1])
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in argument)
            if key == "Condition":
                return self.condition(argument)
        return {key: self.resolve(item) for key, item in value.items() if self.resolve(item) is not NO_VALUE}

    def _substitute(self, match: re.Match[str]) -> str:
        if match[1]:
            return "${" + match[2] + "}"
        name = match[2]
        if "." in name and not name.startswith("AWS::"):
            return str(self.attribute(*name.split(".", 1)))
        return str(self.ref(name))


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


def resolver(document: dict[str, Any], **parameters: Any) -> Resolver:
    values = {"LakeBucketName": "lake", "ArtifactBucket": "artifacts", "ArtifactPrefix": "lakehouse/abc"}
    for name, spec in document["Parameters"].items():
        if "Default" in spec:
            default = spec["Default"]
            values[name] = default.split(",") if spec["Type"] == "CommaDelimitedList" and default else ([] if spec["Type"] == "CommaDelimitedList" else default)
    values |= parameters
    return Resolver(values, document["Resources"], document.get("Conditions", {}))


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
