"""A deployed stack, completed and driven in the sandbox.

moto's CloudFormation cannot create Glue jobs and databases, Athena workgroups, Secrets Manager secrets
or EventBridge Scheduler schedules, so ``lakehouse deploy`` into the sandbox leaves them out
(``Sandbox=true``, ``orchestration.aws.template.SANDBOX_OMITTED``). ``complete_stack`` is the sandbox
step that creates them through the sandbox's own APIs, from the deployed stack's template: each such
resource's properties with its intrinsic functions resolved against the stack (its parameters, the
physical ids and attributes of what moto created), as CloudFormation on a real account would have
created them. The Glue jobs then run their scripts when started (``sandbox.glue_runs``), and the
schedules can be fired as Scheduler fires them (``fire_schedule``). It is idempotent: jobs and
schedules are replaced by the template's, databases, workgroups and the generated secret are kept.

Only API calls: it works against ``lakehouse sandbox`` in another process as well as in this one.
Not completed (nothing the day needs): alarms, policies, Transfer Family, QuickSight, the VPC
connection, Lambda event-invoke configs, SNS subscriptions.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from sandbox.glue import ACCOUNT_ID, REGION

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass
class DeployedStack:
    """A deployed stack's template and what CloudFormation resolved for it."""

    name: str
    template: dict[str, Any]
    parameters: dict[str, str]
    physical_ids: dict[str, str]
    clients: Callable[[str], Any]
    conditions: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def load(cls, name: str, clients: Callable[[str], Any] | None = None) -> DeployedStack:
        make = clients or _default_clients()
        cloudformation = make("cloudformation")
        (description,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
        body = cloudformation.get_template(StackName=name)["TemplateBody"]
        template = body if isinstance(body, dict) else json.loads(body)
        parameters = {
            name: str(declared.get("Default", "")) for name, declared in template.get("Parameters", {}).items()
        }
        parameters |= {item["ParameterKey"]: item["ParameterValue"] for item in description.get("Parameters", [])}
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
        physical = {
            item["LogicalResourceId"]: item["PhysicalResourceId"]
            for page in pages
            for item in page["StackResourceSummaries"]
            if item.get("LogicalResourceId") and item.get("PhysicalResourceId")
        }
        return cls(name, template, parameters, physical, make)

    # Intrinsic functions, as CloudFormation resolves them.
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(element) for element in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (function, argument), = value.items()
            if function == "Ref":
                return self._ref(str(argument))
            if function == "Fn::Sub":
                return self._sub(argument)
            if function == "Fn::GetAtt":
                logical, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
                return self._attribute(logical, attribute)
            if function == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if function == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if function == "Fn::If":
                condition, when_true, when_false = argument
                return self.resolve(when_true if self.condition(condition) else when_false)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = self._evaluate(self.template["Conditions"][name])
        return self.conditions[name]

    def _evaluate(self, expression: Any) -> bool:
        (function, argument), = expression.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return bool(left == right)
        if function == "Fn::Not":
            return not self._evaluate(argument[0])
        if function == "Fn::And":
            return all(self._evaluate(item) for item in argument)
        if function == "Fn::Or":
            return any(self._evaluate(item) for item in argument)
        raise ValueError(f"condition function {function} is not supported")

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": self.name,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            declared = self.template["Parameters"][name]
            value = self.parameters[name]
            if declared.get("Type") == "CommaDelimitedList":
                return [item for item in value.split(",") if item] if value else [""]
            if declared.get("Type") == "Number":
                return int(value)
            return value
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise KeyError(f"{name}: neither a parameter nor a resource the stack created")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return str(self._attribute(logical, attribute))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def _attribute(self, logical: str, attribute: str) -> str:
        kind = self.template["Resources"][logical]["Type"]
        physical = self.physical_ids[logical]
        if (kind, attribute) == ("AWS::IAM::Role", "Arn"):
            return str(self.clients("iam").get_role(RoleName=physical.rsplit("/", 1)[-1])["Role"]["Arn"])
        if (kind, attribute) == ("AWS::Lambda::Function", "Arn"):
            return str(self.clients("lambda").get_function(FunctionName=physical)["Configuration"]["FunctionArn"])
        if (kind, attribute) == ("AWS::SQS::Queue", "Arn"):
            attributes = self.clients("sqs").get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
            return str(attributes["Attributes"]["QueueArn"])
        if (kind, attribute) == ("AWS::KMS::Key", "Arn"):
            # Built, not described: moto's DescribeKey fails on a key CloudFormation created (its policy
            # is kept as a document, not as text).
            return physical if physical.startswith("arn:") else f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{physical}"
        raise KeyError(f"{logical}.{attribute}: not an attribute the sandbox step resolves")

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """Resources of a type, as a real account creates them: the sandbox switch (``IsRealAccount``)
        taken as true, every other condition as the stack's parameters make it."""
        self.conditions["IsRealAccount"] = True
        found = {}
        for logical, body in self.template["Resources"].items():
            if body["Type"] == kind and self.condition(body.get("Condition", "IsRealAccount")):
                found[logical] = self.resolve(body.get("Properties", {}))
        self.conditions.clear()
        return found


def _default_clients() -> Callable[[str], Any]:
    make: Any = boto3.client
    return lambda service: make(service)


def _generated_secret(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class Completion:
    glue_databases: tuple[str, ...]
    glue_jobs: tuple[str, ...]
    workgroups: tuple[str, ...]
    secrets: tuple[str, ...]
    schedules: tuple[str, ...]


def complete_stack(name: str, clients: Callable[[str], Any] | None = None) -> Completion:
    """Creates (or updates) the stack's Glue databases and jobs, Athena workgroups, generated secrets
    and schedules in the sandbox, from its deployed template."""
    stack = DeployedStack.load(name, clients)
    glue, athena = stack.clients("glue"), stack.clients("athena")
    secretsmanager, scheduler = stack.clients("secretsmanager"), stack.clients("scheduler")

    databases = []
    for properties in stack.resources("AWS::Glue::Database").values():
        database = properties["DatabaseInput"]
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):
            glue.create_database(DatabaseInput=database)
        databases.append(database["Name"])

    jobs = []
    for properties in stack.resources("AWS::Glue::Job").values():
        job = {key: value for key, value in properties.items() if key != "Name"}
        # A later deploy may have changed the job (artifacts prefix, arguments): it is replaced, as moto
        # has no UpdateJob; the job's earlier runs go with it.
        glue.delete_job(JobName=properties["Name"])
        glue.create_job(Name=properties["Name"], **job)
        jobs.append(properties["Name"])

    workgroups = []
    existing = {item["Name"] for item in athena.list_work_groups()["WorkGroups"]}
    for properties in stack.resources("AWS::Athena::WorkGroup").values():
        if properties["Name"] not in existing:
            configuration = dict(properties["WorkGroupConfiguration"])
            athena.create_work_group(
                Name=properties["Name"], Description=properties.get("Description", ""), Configuration=configuration
            )
        workgroups.append(properties["Name"])

    generated = []
    for properties in stack.resources("AWS::SecretsManager::Secret").values():
        try:
            secretsmanager.describe_secret(SecretId=properties["Name"])
        except secretsmanager.exceptions.ResourceNotFoundException:
            length = int(properties.get("GenerateSecretString", {}).get("PasswordLength", 32))
            secretsmanager.create_secret(
                Name=properties["Name"],
                Description=properties.get("Description", ""),
                SecretString=properties.get("SecretString") or _generated_secret(length),
            )
        generated.append(properties["Name"])

    schedules = []
    for properties in stack.resources("AWS::Scheduler::Schedule").values():
        schedule = {key: value for key, value in properties.items() if key != "Name"}
        try:
            scheduler.get_schedule(Name=properties["Name"])
        except scheduler.exceptions.ResourceNotFoundException:
            scheduler.create_schedule(Name=properties["Name"], **schedule)
        else:
            scheduler.update_schedule(Name=properties["Name"], **schedule)
        schedules.append(properties["Name"])
    return Completion(tuple(databases), tuple(jobs), tuple(workgroups), tuple(generated), tuple(schedules))


def _api_method(action: str) -> str:
    """``startJobRun`` -> ``start_job_run`` (the boto3 name of an API action)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def fire_schedule(
    name: str, scheduled_time: str, clients: Callable[[str], Any] | None = None
) -> Mapping[str, Any]:
    """Does what EventBridge Scheduler does when the schedule is due at ``scheduled_time``
    (``2025-03-11T02:00:00Z``): its target's ``Input``, context attributes substituted, delivered to
    the target: a Lambda function invoked asynchronously, or a universal target
    (``arn:aws:scheduler:::aws-sdk:<service>:<action>``) called with the Input as the request.
    Returns the target's response."""
    make = clients or _default_clients()
    target = make("scheduler").get_schedule(Name=name)["Target"]
    payload = target.get("Input", "{}").replace(SCHEDULED_TIME, scheduled_time)
    arn = str(target["Arn"])
    if arn.startswith("arn:aws:scheduler:::aws-sdk:"):
        service, action = arn.removeprefix("arn:aws:scheduler:::aws-sdk:").split(":", 1)
        response: dict[str, Any] = getattr(make(service), _api_method(action))(**json.loads(payload))
        return response
    if ":lambda:" in arn:
        invoked: dict[str, Any] = make("lambda").invoke(FunctionName=arn, InvocationType="Event", Payload=payload.encode())
        return invoked
    raise ValueError(f"schedule {name}: the sandbox does not deliver to {arn}")


def main(argv: list[str] | None = None) -> None:
    """``python -m sandbox.stack complete --stack NAME`` | ``fire --schedule NAME --time ISO``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sandbox.stack", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    complete = commands.add_parser("complete", help="create what moto's CloudFormation left out of the stack")
    complete.add_argument("--stack", required=True)
    fire = commands.add_parser("fire", help="deliver a schedule's target as Scheduler does")
    fire.add_argument("--schedule", required=True, help="the schedule's name, e.g. <stack>-daily-run")
    fire.add_argument("--time", required=True, help="its scheduled time, e.g. 2025-03-11T02:00:00Z")
    arguments = parser.parse_args(argv)
    if arguments.command == "complete":
        for kind, names in vars(complete_stack(arguments.stack)).items():
            print(f"{kind}: {', '.join(names) or '-'}")
    else:
        response = fire_schedule(arguments.schedule, arguments.time)
        print(json.dumps({key: value for key, value in response.items() if key != "ResponseMetadata"}, default=str))


if __name__ == "__main__":
    main()
