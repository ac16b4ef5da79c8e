"""The AWS side, declared once: a CloudFormation template built from the same names the local mode uses
(Glue job names from Settings, handler modules, landing prefixes, schedules)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.schedules import SCHEDULES, eventbridge_schedule
from core.settings import Settings

GLUE_VERSION = "5.0"
LAMBDA_RUNTIME = "python3.12"
CATALOG_DATABASES = ("bronze", "silver", "gold_build", "gold")


@dataclass(frozen=True)
class LambdaFunction:
    logical_id: str
    handler: str  # module.function inside the deployment package
    landing_prefix: str | None  # S3 ObjectCreated notifications under this prefix invoke it (None: scheduled)
    environment: dict[str, str] = field(default_factory=dict)
    timeout_seconds: int = 60
    memory_mb: int = 512


@dataclass(frozen=True)
class GlueJob:
    logical_id: str
    name: str
    script: str  # path of the entry point in the repo, uploaded under artifacts/
    command: str = "glueetl"  # glueetl (Spark) or pythonshell
    workers: int = 2
    default_arguments: dict[str, str] = field(default_factory=dict)


def lambda_functions(settings: Settings) -> list[LambdaFunction]:
    return [
        LambdaFunction(
            logical_id="PartnerCsvLanded",
            handler="lambdas.partner_csv_landed.handler.handler",
            landing_prefix="landing/sftp/",
            environment={"LAKEHOUSE_GLUE_JOB_PARTNER_CSV": settings.glue_job_partner_csv},
        ),
        LambdaFunction(
            logical_id="PositionalToParquet",
            handler="lambdas.positional_to_parquet.handler.handler",
            landing_prefix="landing/positional/",
            environment={"LAKEHOUSE_GLUE_JOB_POSITIONAL": settings.glue_job_positional},
            timeout_seconds=900,
            memory_mb=1024,
        ),
        LambdaFunction(
            logical_id="ClientFilesLanded",
            handler="lambdas.client_files_landed.handler.handler",
            landing_prefix="landing/client_health/",
            environment={"LAKEHOUSE_GLUE_JOB_CLIENT_HEALTH": settings.glue_job_client_health},
        ),
        LambdaFunction(
            logical_id="SlaCheck", handler="lambdas.sla_check.handler.handler", landing_prefix=None
        ),
    ]


def glue_jobs(settings: Settings) -> list[GlueJob]:
    return [
        GlueJob(
            logical_id="PartnerCsvToBronze",
            name=settings.glue_job_partner_csv,
            script="glue_jobs/partner_csv_to_bronze.py",
        ),
        GlueJob(
            logical_id="ClientHealthToBronze",
            name=settings.glue_job_client_health,
            script="glue_jobs/client_health_to_bronze.py",
        ),
        GlueJob(
            logical_id="AuroraExtract",
            name=settings.glue_job_aurora,
            script="glue_jobs/aurora_extract.py",
            default_arguments={"--additional-python-modules": "psycopg[binary],PyMySQL"},
        ),
        GlueJob(
            logical_id="PositionalDay",
            name=settings.glue_job_positional,
            script="glue_jobs/positional_day.py",
            default_arguments={
                "--additional-python-modules": "dbt-core~=1.11.0,dbt-athena-community~=1.11.0"
            },
        ),
    ]


def scheduled_targets(settings: Settings) -> dict[str, dict[str, Any]]:
    """Schedule job name -> its EventBridge Scheduler target on AWS. Schedules not listed run only locally
    (the end-of-day dbt build on Athena is left to the team's orchestrator)."""
    return {
        "aurora_extract": {
            "Arn": "arn:aws:scheduler:::aws-sdk:glue:startJobRun",
            "Input": json.dumps({"JobName": settings.glue_job_aurora}),
        },
        "positional_sla_check": {
            "Arn": {"Fn::GetAtt": ["SlaCheck", "Arn"]},
            "Input": json.dumps({"time": "<aws.scheduler.scheduled-time>"}),
        },
    }


_LAKE_ACCESS: dict[str, Any] = {
    "Effect": "Allow",
    "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"],
    "Resource": [
        {"Fn::Sub": "arn:aws:s3:::${LakeBucketName}"},
        {"Fn::Sub": "arn:aws:s3:::${LakeBucketName}/*"},
    ],
}


def _role(service: str, managed_policy: str | None, statements: list[dict[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        },
        "Policies": [
            {"PolicyName": "lakehouse", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
        ],
    }
    if managed_policy:
        properties["ManagedPolicyArns"] = [managed_policy]
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def _artifact(name: str) -> dict[str, Any]:
    return {"Fn::Sub": f"s3://${{ArtifactBucket}}/artifacts/{name}"}


def _glue_job(job: GlueJob) -> dict[str, Any]:
    arguments = {
        "--extra-py-files": _artifact("lakehouse.whl"),
        "--enable-metrics": "true",
        "--job-language": "python",
        **job.default_arguments,
    }
    properties: dict[str, Any] = {
        "Name": job.name,
        "Role": {"Fn::GetAtt": ["GlueJobRole", "Arn"]},
        "Command": {"Name": job.command, "ScriptLocation": _artifact(job.script), "PythonVersion": "3"},
        "DefaultArguments": arguments,
        "ExecutionProperty": {"MaxConcurrentRuns": 50},
    }
    if job.command == "glueetl":
        properties |= {"GlueVersion": GLUE_VERSION, "WorkerType": "G.1X", "NumberOfWorkers": job.workers}
    else:
        properties |= {"MaxCapacity": 0.0625}
    return {"Type": "AWS::Glue::Job", "Properties": properties}


def _lambda(function: LambdaFunction, settings: Settings) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": LAMBDA_RUNTIME,
            "Handler": function.handler,
            "Role": {"Fn::GetAtt": ["LambdaRole", "Arn"]},
            "Code": {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": "artifacts/lambda.zip"},
            "Timeout": function.timeout_seconds,
            "MemorySize": function.memory_mb,
            "Environment": {
                "Variables": {
                    "LAKEHOUSE_BACKEND": "aws",
                    "LAKEHOUSE_BUCKET": {"Ref": "LakeBucketName"},
                    "POWERTOOLS_SERVICE_NAME": function.logical_id,
                    **function.environment,
                }
            },
        },
    }


def template(settings: Settings | None = None) -> dict[str, Any]:
    config = settings or Settings()
    landing_functions = [function for function in lambda_functions(config) if function.landing_prefix]
    resources: dict[str, Any] = {
        "LakeBucket": {
            "Type": "AWS::S3::Bucket",
            "DependsOn": [f"{function.logical_id}InvokePermission" for function in landing_functions],
            "Properties": {
                "BucketName": {"Ref": "LakeBucketName"},
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                    ]
                },
                "NotificationConfiguration": {
                    "LambdaConfigurations": [
                        {
                            "Event": "s3:ObjectCreated:*",
                            "Function": {"Fn::GetAtt": [function.logical_id, "Arn"]},
                            "Filter": {
                                "S3Key": {"Rules": [{"Name": "prefix", "Value": function.landing_prefix}]}
                            },
                        }
                        for function in landing_functions
                    ]
                },
            },
        },
        "LambdaRole": _role(
            "lambda.amazonaws.com",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            [_LAKE_ACCESS, {"Effect": "Allow", "Action": ["glue:StartJobRun"], "Resource": "*"}],
        ),
        "GlueJobRole": _role(
            "glue.amazonaws.com",
            "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole",
            [
                _LAKE_ACCESS,
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": {"Fn::Sub": "arn:aws:s3:::${ArtifactBucket}/*"},
                },
            ],
        ),
    }
    for database in CATALOG_DATABASES:
        resources[f"{database.title().replace('_', '')}Database"] = {
            "Type": "AWS::Glue::Database",
            "Properties": {"CatalogId": {"Ref": "AWS::AccountId"}, "DatabaseInput": {"Name": database}},
        }
    for function in lambda_functions(config):
        resources[function.logical_id] = _lambda(function, config)
    for function in landing_functions:
        resources[f"{function.logical_id}InvokePermission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": function.logical_id},
                "Principal": "s3.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
                "SourceArn": {"Fn::Sub": "arn:aws:s3:::${LakeBucketName}"},
            },
        }
    for job in glue_jobs(config):
        resources[job.logical_id] = _glue_job(job)
    targets = scheduled_targets(config)
    aws_schedules = [item for item in SCHEDULES if item.job in targets]
    if aws_schedules:
        resources["SchedulerRole"] = _role(
            "scheduler.amazonaws.com",
            None,
            [
                {"Effect": "Allow", "Action": ["glue:StartJobRun"], "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": {"Fn::GetAtt": ["SlaCheck", "Arn"]},
                },
            ],
        )
    for item in aws_schedules:
        declared = eventbridge_schedule(item)
        resources["".join(part.title() for part in item.name.split("-")) + "Schedule"] = {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Name": declared["Name"],
                "Description": declared["Description"],
                "ScheduleExpression": declared["ScheduleExpression"],
                "ScheduleExpressionTimezone": declared["ScheduleExpressionTimezone"],
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {**targets[item.job], "RoleArn": {"Fn::GetAtt": ["SchedulerRole", "Arn"]}},
            },
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "lakehouse: landing bucket, handlers, Glue jobs, Glue Data Catalog databases",
        "Parameters": {
            "LakeBucketName": {"Type": "String", "Description": "The lake bucket (LAKEHOUSE_BUCKET)"},
            "ArtifactBucket": {
                "Type": "String",
                "Description": "Bucket holding artifacts/ (wheel, scripts, lambda.zip)",
            },
        },
        "Resources": resources,
    }


def template_json(settings: Settings | None = None) -> str:
    return json.dumps(template(settings), indent=2, sort_keys=True)
