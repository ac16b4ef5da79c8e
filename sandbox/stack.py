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
from dataclasses import dataclass
from typing import Any

import boto3

from sandbox.glue import ACCOUNT_ID, REGION
from sandbox.intrinsics import IntrinsicResolver, parameter_values

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


@dataclass
class DeployedStack:
    """A deployed stack's template and what CloudFormation resolved for it."""

    name: str
    template: dict[str, Any]
    parameters: dict[str, str]
    physical_ids: dict[str, str]
    clients: Callable[[str], Any]

    @classmethod
    def load(cls, name: str, clients: Callable[[str], Any] | None = None) -> DeployedStack:
        make = clients or _default_clients()
        cloudformation = make("cloudformation")
        (description,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
        body = cloudformation.get_template(StackName=name)["TemplateBody"]
        template = body if isinstance(body, dict) else json.loads(body)
        given = {item["ParameterKey"]: item["ParameterValue"] for item in description.get("Parameters", [])}
        parameters = {key: str(value) for key, value in parameter_values(template, given).items()}
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
        physical = {
            item["LogicalResourceId"]: item["PhysicalResourceId"]
            for page in pages
            for item in page["StackResourceSummaries"]
            if item.get("LogicalResourceId") and item.get("PhysicalResourceId")
        }
        return cls(name, template, parameters, physical, make)

    def _physical_id(self, logical: str) -> str:
        if logical not in self.physical_ids:
            raise KeyError(f"{logical}: neither a parameter nor a resource the stack created")
        return self.physical_ids[logical]

    def _attribute(self, logical: str, attribute: str) -> str:
        kind = self.template["Resources"][logical]["Type"]
        physical = self._physical_id(logical)
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
        resolver = IntrinsicResolver(
            self.template,
            self.parameters,
            self._physical_id,
            self._attribute,
            stack_name=self.name,
            region=REGION,
            account=ACCOUNT_ID,
            fixed_conditions={"IsRealAccount": True},
        )
        return {
            logical: resolver.resolve(body.get("Properties", {}))
            for logical, body in self.template["Resources"].items()
            if body["Type"] == kind and resolver.condition(body.get("Condition", "IsRealAccount"))
        }


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
