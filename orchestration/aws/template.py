"""The CloudFormation template of the AWS side, built from ``deployed_components`` (the code's own
functions, jobs, workflows and schedules) and the partners file.

Every role is its own, scoped by ``orchestration.aws.iam``. Optional parts sit behind parameters:
the VPC (Glue Connection for Aurora, RDS MySQL and OpenSearch), the alert e-mail, QuickSight. The
``Sandbox`` parameter leaves out the resource types the offline sandbox (moto's CloudFormation) cannot
create; see ``SANDBOX_OMITTED``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from core import layout as lake
from core.schedules import eventbridge_schedule
from core.settings import Settings
from jobs.sla_check import JOB as SLA_JOB
from jobs.sla_check import METRIC_NAME as SLA_METRIC
from jobs.sla_check import METRIC_NAMESPACE as SLA_NAMESPACE
from orchestration.aws import iam
from orchestration.aws.components import Components, Function, GlueJob, Workflow, deployed_components
from orchestration.aws.iam import sub
from orchestration.aws.package import project_dbt_requirements, project_wheel_name
from orchestration.aws.state_machines import definition_string

GLUE_VERSION = "5.0"
LAMBDA_RUNTIME = "python3.11"  # the project's Python; the AWS SDK for pandas layer exists for it
CATALOG_DATABASES = ("bronze", "silver", "gold_build", "gold")
ATHENA_ENGINE = "Athena engine version 3"
PIPELINE_RESULTS, ANALYSTS_RESULTS = "pipeline", "analysts"
RESULTS_RETENTION_DAYS = 7
NONCURRENT_RETENTION_DAYS = 30
LOG_RETENTION_DAYS = 30
PARTNER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")  # also a valid Transfer Family user name
PUBLIC_KEY = re.compile(r"(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?")
GOLD_MODELS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"

# Resource types moto's CloudFormation does not implement: a stack holding them still reaches
# CREATE_COMPLETE there, but they are silently skipped and every reference to them fails. With
# Sandbox=true the template leaves them (and what references them) out.
SANDBOX_OMITTED = (
    "AWS::Athena::WorkGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::Glue::Connection",
    "AWS::Glue::Database",
    "AWS::Glue::Job",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::QuickSight::DataSet",
    "AWS::QuickSight::DataSource",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::Scheduler::Schedule",
    "AWS::SecretsManager::Secret",
    "AWS::Transfer::Server",
    "AWS::Transfer::User",
)


class PartnersFileError(ValueError):
    pass


def load_partners(path: Path) -> dict[str, list[str]]:
    """``<partner>: [<OpenSSH public key line>, ...]``; a clear error names the partner or key at fault."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PartnersFileError(f"{path}: {exc}") from exc
    if not isinstance(document, dict):
        raise PartnersFileError(f"{path}: expected a mapping <partner>: [<public key>, ...]")
    partners: dict[str, list[str]] = {}
    for name, keys in document.items():
        if not isinstance(name, str) or not PARTNER_NAME.fullmatch(name):
            raise PartnersFileError(f"{path}: partner {name!r}: use 2-64 of a-z, 0-9, '_', '-'")
        if not isinstance(keys, list) or not keys:
            raise PartnersFileError(f"{path}: partner {name}: give a list of one or more public keys")
        for number, key in enumerate(keys, start=1):
            if not isinstance(key, str) or not PUBLIC_KEY.fullmatch(key.strip()):
                raise PartnersFileError(f"{path}: partner {name}, key {number}: not an OpenSSH public key line")
        partners[name] = [key.strip() for key in keys]
    return partners


def _logical(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _if(condition: str, value: Any) -> dict[str, Any]:
    return {"Fn::If": [condition, value, {"Ref": "AWS::NoValue"}]}


def _artifact_uri(name: str) -> dict[str, str]:
    return sub(f"s3://${{ArtifactBucket}}/${{ArtifactPrefix}}/{name}")


def _settings_environment(settings: Settings) -> dict[str, str]:
    """Job names as Settings fields (LAKEHOUSE_GLUE_JOB_*), so a renamed job reaches every launcher."""
    return {
        f"LAKEHOUSE_{name.upper()}": str(value)
        for name, value in settings.model_dump().items()
        if name.startswith("glue_job_")
    }


def _function_name(function: Function) -> dict[str, str]:
    return sub(f"${{AWS::StackName}}-{function.name}")


def _function_resources(function: Function, components: Components, settings: Settings) -> dict[str, Any]:
    workflows = [components.workflow(key) for key in function.starts_workflows]
    statements = [
        iam.allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            {"Fn::GetAtt": [f"{function.logical_id}LogGroup", "Arn"]},
        ),
        iam.allow(["sqs:SendMessage"], {"Fn::GetAtt": ["LambdaFailureQueue", "Arn"]}),
        *iam.lake_statements(function.lake),
        *iam.secret_statements(function.secrets),
    ]
    if function.starts_jobs:
        statements.append(iam.allow(["glue:StartJobRun"], iam.glue_job_arns(function.starts_jobs)))
    if workflows:
        statements.append(iam.allow(["states:StartExecution"], [{"Ref": w.logical_id} for w in workflows]))
    environment: dict[str, Any] = {
        "LAKEHOUSE_BACKEND": "aws",
        "LAKEHOUSE_BUCKET": {"Ref": "LakeBucketName"},
        "LAKEHOUSE_REGION": {"Ref": "AWS::Region"},
        "POWERTOOLS_SERVICE_NAME": function.name,
        **_settings_environment(settings),
    }
    if workflows:
        machines = ", ".join(f'"{w.key}": "${{{w.logical_id}}}"' for w in workflows)
        environment["LAKEHOUSE_STATE_MACHINES"] = sub("{" + machines + "}")
    resources: dict[str, Any] = {
        f"{function.logical_id}LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": sub(f"/aws/lambda/${{AWS::StackName}}-{function.name}"),
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        },
        f"{function.logical_id}Role": iam.role("lambda.amazonaws.com", statements),
        function.logical_id: {
            "Type": "AWS::Lambda::Function",
            "DependsOn": [f"{function.logical_id}LogGroup"],
            "Properties": {
                "FunctionName": _function_name(function),
                "Runtime": LAMBDA_RUNTIME,
                "Architectures": ["x86_64"],
                "Handler": function.handler,
                "Role": {"Fn::GetAtt": [f"{function.logical_id}Role", "Arn"]},
                "Code": {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": sub("${ArtifactPrefix}/lambda.zip")},
                # The sandbox has no managed layers; its Lambdas run in process with the venv's pyarrow.
                "Layers": _if("IsRealAccount", [{"Ref": "PandasLayerArn"}]),
                "Timeout": function.timeout_seconds,
                "MemorySize": function.memory_mb,
                "Environment": {"Variables": environment},
            },
        },
        f"{function.logical_id}AsyncConfig": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Condition": "IsRealAccount",
            "Properties": {
                "FunctionName": {"Ref": function.logical_id},
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 2,
                "MaximumEventAgeInSeconds": 6 * 3600,
                "DestinationConfig": {
                    "OnFailure": {"Destination": {"Fn::GetAtt": ["LambdaFailureQueue", "Arn"]}}
                },
            },
        },
        f"{function.logical_id}Errors": _alarm(
            f"{function.name} Lambda errors",
            "AWS/Lambda",
            "Errors",
            {"FunctionName": {"Ref": function.logical_id}},
        ),
    }
    if function.landing_prefix:
        resources[f"{function.logical_id}InvokePermission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": function.logical_id},
                "Principal": "s3.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
                "SourceArn": sub("arn:aws:s3:::${LakeBucketName}"),
            },
        }
    return resources


def glue_job_arguments(job: GlueJob, dbt_requirements: Sequence[str], wheel_name: str) -> dict[str, Any]:
    """DefaultArguments: every launcher of the job gets the lake, the region and the secret ids."""
    modules: list[Any] = [_artifact_uri(wheel_name)]
    if job.uses_athena:
        modules.extend(dbt_requirements)
    arguments: dict[str, Any] = {
        "--additional-python-modules": {"Fn::Join": [",", modules]},
        "--lake_uri": sub("s3://${LakeBucketName}"),
        "--region": {"Ref": "AWS::Region"},
        "--enable-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-observability-metrics": "true",
        "--job-language": "python",
    }
    for setting in job.secrets:
        arguments[f"--{setting}"] = iam.secret_name(setting)
    if job.uses_athena:
        arguments["--athena_workgroup"] = iam.workgroup_name(PIPELINE_RESULTS)
    return arguments


def _glue_job_resources(job: GlueJob, dbt_requirements: Sequence[str], wheel_name: str) -> dict[str, Any]:
    statements = [
        iam.allow(
            ["s3:GetObject"],
            [_artifact_object(job.script), _artifact_object(wheel_name)],
        ),
        iam.allow(
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
            sub("arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws-glue/*"),
        ),
        iam.allow(["cloudwatch:PutMetricData"], "*", {"StringEquals": {"cloudwatch:namespace": "Glue"}}),
        *iam.lake_statements(job.lake),
        *iam.catalog_statements(job.catalog),
        *iam.secret_statements(job.secrets),
    ]
    if job.uses_athena:
        statements.extend(iam.athena_statements(PIPELINE_RESULTS, PIPELINE_RESULTS))
    if job.needs_network:
        statements.append(
            _if(
                "HasVpc",
                iam.allow(
                    ["glue:GetConnection"],
                    sub("arn:aws:glue:${AWS::Region}:${AWS::AccountId}:connection/${AWS::StackName}-vpc"),
                ),
            )
        )
        statements.append(_if("HasVpc", iam.allow(sorted(iam.FORCED_WILDCARDS.keys() - {"cloudwatch:PutMetricData"}), "*")))
    properties: dict[str, Any] = {
        "Name": job.name,
        "Role": {"Fn::GetAtt": [f"{job.logical_id}Role", "Arn"]},
        "Command": {"Name": "glueetl", "ScriptLocation": _artifact_uri(job.script), "PythonVersion": "3"},
        "DefaultArguments": glue_job_arguments(job, dbt_requirements, wheel_name),
        "GlueVersion": GLUE_VERSION,
        "WorkerType": "G.1X",
        "NumberOfWorkers": job.workers,
        "Timeout": 120,
        "MaxRetries": 0,
        "ExecutionProperty": {"MaxConcurrentRuns": 50},
    }
    if job.needs_network:
        properties["Connections"] = _if("HasVpc", {"Connections": [{"Ref": "VpcConnection"}]})
    return {
        f"{job.logical_id}Role": iam.role("glue.amazonaws.com", statements),
        job.logical_id: {"Type": "AWS::Glue::Job", "Condition": "IsRealAccount", "Properties": properties},
    }


def _artifact_object(name: str) -> dict[str, str]:
    return sub(f"arn:aws:s3:::${{ArtifactBucket}}/${{ArtifactPrefix}}/{name}")


def _workflow_resources(workflow: Workflow) -> dict[str, Any]:
    jobs = sorted({step.job for stage in workflow.stages for step in stage})
    role = iam.role(
        "states.amazonaws.com",
        [
            iam.allow(
                ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
                iam.glue_job_arns(jobs),
            ),
            iam.allow(["sns:Publish"], {"Ref": "AlertTopic"}),
            iam.key_use(),
        ],
    )
    return {
        f"{workflow.logical_id}Role": role,
        workflow.logical_id: {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": sub(f"${{AWS::StackName}}-{workflow.key}"),
                "DefinitionString": definition_string(workflow),
                "RoleArn": {"Fn::GetAtt": [f"{workflow.logical_id}Role", "Arn"]},
            },
        },
        f"{workflow.logical_id}Failures": _alarm(
            f"{workflow.key} workflow failed",
            "AWS/States",
            "ExecutionsFailed",
            {"StateMachineArn": {"Ref": workflow.logical_id}},
        ),
    }


def _alarm(description: str, namespace: str, metric: str, dimensions: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Condition": "IsRealAccount",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
            "Statistic": "Sum" if metric != "ApproximateNumberOfMessagesVisible" else "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlertTopic"}],
        },
    }


def _schedule_resources(components: Components) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    invoked = [target.function for target in components.schedules if target.function]
    started = [target.job for target in components.schedules if target.job]
    statements = [iam.allow(["sqs:SendMessage"], {"Fn::GetAtt": ["ScheduleFailureQueue", "Arn"]})]
    if invoked:
        statements.append(
            iam.allow(["lambda:InvokeFunction"], [{"Fn::GetAtt": [name, "Arn"]} for name in invoked])
        )
    if started:
        statements.append(iam.allow(["glue:StartJobRun"], iam.glue_job_arns(started)))
    resources["SchedulerRole"] = iam.role("scheduler.amazonaws.com", statements)
    for target in components.schedules:
        declared = eventbridge_schedule(target.schedule)
        if target.job:
            arn: Any = "arn:aws:scheduler:::aws-sdk:glue:startJobRun"
            payload = {"JobName": target.job}
        else:
            arn = {"Fn::GetAtt": [target.function, "Arn"]}
            payload = {"time": "<aws.scheduler.scheduled-time>"}
            if target.workflow:
                payload["job"] = target.workflow
        resources[_logical(target.schedule.name) + "Schedule"] = {
            "Type": "AWS::Scheduler::Schedule",
            "Condition": "IsRealAccount",
            "Properties": {
                "Name": sub(f"${{AWS::StackName}}-{declared['Name']}"),
                "Description": declared["Description"],
                "ScheduleExpression": declared["ScheduleExpression"],
                "ScheduleExpressionTimezone": declared["ScheduleExpressionTimezone"],
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": arn,
                    "RoleArn": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
                    "Input": json.dumps(payload, sort_keys=True),
                    "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
                    "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["ScheduleFailureQueue", "Arn"]}},
                },
            },
        }
    return resources


def _bucket(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": {"Fn::GetAtt": ["LakeKey", "Arn"]},
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
        **properties,
    }


def _tls_only(bucket: str) -> dict[str, Any]:
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [sub(f"arn:aws:s3:::${{{bucket}}}"), sub(f"arn:aws:s3:::${{{bucket}}}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _storage_resources(components: Components) -> dict[str, Any]:
    landing = [function for function in components.functions if function.landing_prefix]
    return {
        "LakeKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": "lakehouse: lake objects, Athena results, secrets, alerts",
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": sub("arn:aws:iam::${AWS::AccountId}:root")},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "AlertPublishers",
                            "Effect": "Allow",
                            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                        },
                    ],
                },
            },
        },
        "LakeBucket": {
            "Type": "AWS::S3::Bucket",
            # The lake outlives the stack: `lakehouse destroy` removes the machinery, never the data.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "DependsOn": [f"{function.logical_id}InvokePermission" for function in landing],
            "Properties": _bucket(
                {
                    "BucketName": {"Ref": "LakeBucketName"},
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                # Daily rewrites of silver/gold keep old versions only long enough to roll back.
                                "Id": "expire-noncurrent-versions",
                                "Status": "Enabled",
                                "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_RETENTION_DAYS},
                                "ExpiredObjectDeleteMarker": True,
                                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                            }
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
                            for function in landing
                        ]
                    },
                }
            ),
        },
        "LakeBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Condition": "IsRealAccount",
            "Properties": {
                "Bucket": {"Ref": "LakeBucket"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [_tls_only("LakeBucket")]},
            },
        },
        "AthenaResultsBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": _bucket(
                {
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                # Results can hold raw values (a failing test's rows): kept one week.
                                "Id": "expire-results",
                                "Status": "Enabled",
                                "ExpirationInDays": RESULTS_RETENTION_DAYS,
                                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                            }
                        ]
                    }
                }
            ),
        },
        "AthenaResultsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Condition": "IsRealAccount",
            "Properties": {
                "Bucket": {"Ref": "AthenaResultsBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        _tls_only("AthenaResultsBucket"),
                        {
                            "Sid": "AnalystsResultsOnlyForAnalysts",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": sub(f"arn:aws:s3:::${{AthenaResultsBucket}}/{ANALYSTS_RESULTS}/*"),
                            "Condition": {
                                "ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["AnalystsRole", "Arn"]}}
                            },
                        },
                    ],
                },
            },
        },
        **{
            f"{_logical(name)}Database": {
                "Type": "AWS::Glue::Database",
                "Condition": "IsRealAccount",
                "Properties": {"CatalogId": {"Ref": "AWS::AccountId"}, "DatabaseInput": {"Name": name}},
            }
            for name in CATALOG_DATABASES
        },
        **{
            f"{_logical(label)}WorkGroup": {
                "Type": "AWS::Athena::WorkGroup",
                "Condition": "IsRealAccount",
                "Properties": {
                    "Name": iam.workgroup_name(label),
                    "Description": f"lakehouse {label} queries",
                    "RecursiveDeleteOption": True,
                    "WorkGroupConfiguration": {
                        "EnforceWorkGroupConfiguration": True,
                        "PublishCloudWatchMetricsEnabled": True,
                        "BytesScannedCutoffPerQuery": {"Ref": "AthenaBytesScannedCutoff"},
                        "EngineVersion": {"SelectedEngineVersion": ATHENA_ENGINE},
                        "ResultConfiguration": {
                            "OutputLocation": sub(f"s3://${{AthenaResultsBucket}}/{label}/"),
                            "EncryptionConfiguration": {
                                "EncryptionOption": "SSE_KMS",
                                "KmsKey": {"Fn::GetAtt": ["LakeKey", "Arn"]},
                            },
                        },
                    },
                },
            }
            for label in (PIPELINE_RESULTS, ANALYSTS_RESULTS)
        },
        "PseudonymKeySecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Condition": "IsRealAccount",
            "Properties": {
                "Name": sub("${AWS::StackName}/pseudonym-key"),
                "Description": "HMAC key of gold.client_health ids; never leaves Secrets Manager and the job",
                "KmsKeyId": {"Ref": "LakeKey"},
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
    }


def _alert_resources(components: Components) -> dict[str, Any]:
    jobs = [job.name for job in components.jobs]
    return {
        "AlertTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": "lakehouse alerts", "KmsMasterKeyId": {"Ref": "LakeKey"}},
        },
        "AlertTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Condition": "IsRealAccount",
            "Properties": {
                "Topics": [{"Ref": "AlertTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AlarmsAndRulesPublish",
                            "Effect": "Allow",
                            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "AlertTopic"},
                            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                        }
                    ],
                },
            },
        },
        "AlertEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlertEmailOnRealAccount",
            "Properties": {"TopicArn": {"Ref": "AlertTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}},
        },
        "LambdaFailureQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": True},
        },
        "ScheduleFailureQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": True},
        },
        "LambdaFailureQueueDepth": _alarm(
            "failed Lambda events waiting in the dead-letter queue",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": ["LambdaFailureQueue", "QueueName"]}},
        ),
        "ScheduleFailureQueueDepth": _alarm(
            "schedules that could not start their target",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": ["ScheduleFailureQueue", "QueueName"]}},
        ),
        "SlaMissedAlarm": _alarm(
            "the positional day job did not succeed by its deadline",
            SLA_NAMESPACE,
            SLA_METRIC,
            {"Job": SLA_JOB},
        ),
        "GlueJobFailureRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "a lakehouse Glue job failed, timed out or was stopped",
                "EventPattern": {
                    "source": ["aws.glue"],
                    "detail-type": ["Glue Job State Change"],
                    "detail": {"jobName": jobs, "state": ["FAILED", "TIMEOUT", "STOPPED", "ERROR"]},
                },
                "Targets": [{"Id": "alerts", "Arn": {"Ref": "AlertTopic"}}],
            },
        },
        "GlueJobFailures": _alarm(
            "a lakehouse Glue job failed", "AWS/Events", "TriggeredRules", {"RuleName": {"Ref": "GlueJobFailureRule"}}
        ),
    }


def _sftp_resources(partners: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    sftp_prefix = f"{lake.LANDING}/sftp"
    resources: dict[str, Any] = {
        "SftpLoggingRole": iam.role(
            "transfer.amazonaws.com",
            [
                iam.allow(
                    ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    sub("arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/transfer/*"),
                )
            ],
        ),
        "SftpServer": {
            "Type": "AWS::Transfer::Server",
            "Condition": "IsRealAccount",
            "Properties": {
                "Domain": "S3",
                "EndpointType": "PUBLIC",
                "IdentityProviderType": "SERVICE_MANAGED",  # SSH keys only: no password can be set
                "Protocols": ["SFTP"],
                "SecurityPolicyName": "TransferSecurityPolicy-2024-01",
                "LoggingRole": {"Fn::GetAtt": ["SftpLoggingRole", "Arn"]},
            },
        },
        "SftpUserRole": iam.role(
            "transfer.amazonaws.com",
            [
                iam.listing(iam.LAKE_BUCKET, [sftp_prefix]),
                iam.allow(
                    ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
                    sub(f"{iam.LAKE_BUCKET}/{sftp_prefix}/*"),
                ),
                iam.key_use(),
            ],
        ),
    }
    # The session policy narrows the shared role to the user's own folder.
    session_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::${LakeBucketName}",
                "Condition": {
                    "StringLike": {"s3:prefix": [f"{sftp_prefix}/${{!transfer:UserName}}/*", f"{sftp_prefix}/${{!transfer:UserName}}"]}
                },
            },
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
                "Resource": f"arn:aws:s3:::${{LakeBucketName}}/{sftp_prefix}/${{!transfer:UserName}}/*",
            },
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "${LakeKey.Arn}",
            },
        ],
    }
    for partner, keys in sorted(partners.items()):
        resources[f"SftpUser{_logical(partner)}"] = {
            "Type": "AWS::Transfer::User",
            "Condition": "IsRealAccount",
            "Properties": {
                "ServerId": {"Fn::GetAtt": ["SftpServer", "ServerId"]},
                "UserName": partner,
                "Role": {"Fn::GetAtt": ["SftpUserRole", "Arn"]},
                "HomeDirectoryType": "LOGICAL",
                "HomeDirectoryMappings": [
                    {"Entry": "/", "Target": sub(f"/${{LakeBucketName}}/{sftp_prefix}/{partner}")}
                ],
                "Policy": sub(json.dumps(session_policy)),
                "SshPublicKeys": list(keys),
            },
        }
    return resources


def analysts_statements() -> list[dict[str, Any]]:
    """Gold and nothing below it: the gold database and prefix, the analysts' workgroup and results;
    explicit denies on every other lake prefix and database, so no later grant can widen it."""
    hidden_prefixes = [lake.LANDING, lake.BRONZE, lake.SILVER, "gold_build", lake.QUARANTINE, lake.REPORTS]
    hidden_databases = [name for name in CATALOG_DATABASES if name != "gold"]
    return [
        iam.allow(iam.CATALOG_READ, iam.catalog_resources(["gold"])),
        iam.allow(["s3:GetObject"], sub(f"{iam.LAKE_BUCKET}/{lake.GOLD}/*")),
        iam.listing(iam.LAKE_BUCKET, [lake.GOLD]),
        *iam.athena_statements(ANALYSTS_RESULTS, ANALYSTS_RESULTS),
        iam.allow(["kms:Decrypt", "kms:GenerateDataKey"], {"Fn::GetAtt": ["LakeKey", "Arn"]}),
        iam.deny(["s3:GetObject", "s3:GetObjectVersion"], [sub(f"{iam.LAKE_BUCKET}/{prefix}/*") for prefix in hidden_prefixes]),
        iam.deny(
            iam.CATALOG_READ,
            [
                *(sub(f"{iam.GLUE}:database/{name}") for name in hidden_databases),
                *(sub(f"{iam.GLUE}:table/{name}/*") for name in hidden_databases),
            ],
        ),
        iam.deny(["s3:GetObject"], sub(f"{iam.RESULTS_BUCKET}/{PIPELINE_RESULTS}/*")),
    ]


def _analysts_resources() -> dict[str, Any]:
    principal = {
        "AWS": {
            "Fn::If": [
                "HasAnalystsPrincipal",
                {"Ref": "AnalystsPrincipalArn"},
                sub("arn:aws:iam::${AWS::AccountId}:root"),
            ]
        }
    }
    return {"AnalystsRole": iam.role("", analysts_statements(), principal=principal)}


_QUICKSIGHT_TYPES = {
    "varchar": "STRING",
    "string": "STRING",
    "integer": "INTEGER",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "boolean": "BOOLEAN",
    "date": "DATETIME",
    "timestamp": "DATETIME",
    "double": "DECIMAL",
}


def gold_contracts(models_dir: Path = GOLD_MODELS_DIR) -> dict[str, list[tuple[str, str]]]:
    """Gold model -> [(column, QuickSight type)], from the dbt contracts (data_type of each column)."""
    contracts: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(models_dir.rglob("_*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            columns = [
                (column["name"], _QUICKSIGHT_TYPES.get(str(column["data_type"]).split("(")[0].lower(), "DECIMAL"))
                for column in model.get("columns", [])
                if column.get("data_type")
            ]
            if columns:
                contracts[model["name"]] = columns
    return contracts


def _quicksight_resources() -> dict[str, Any]:
    permissions = {
        "Principal": {"Ref": "QuickSightPrincipalArn"},
        "Actions": [
            "quicksight:DescribeDataSet",
            "quicksight:DescribeDataSetPermissions",
            "quicksight:PassDataSet",
            "quicksight:DescribeIngestion",
            "quicksight:ListIngestions",
        ],
    }
    resources: dict[str, Any] = {
        "GoldDataSource": {
            "Type": "AWS::QuickSight::DataSource",
            "Condition": "EnableQuickSight",
            "Properties": {
                "AwsAccountId": {"Ref": "AWS::AccountId"},
                "DataSourceId": sub("${AWS::StackName}-gold"),
                "Name": "lakehouse gold (Athena)",
                "Type": "ATHENA",
                "DataSourceParameters": {"AthenaParameters": {"WorkGroup": iam.workgroup_name(ANALYSTS_RESULTS)}},
                "Permissions": [
                    {
                        "Principal": {"Ref": "QuickSightPrincipalArn"},
                        "Actions": [
                            "quicksight:DescribeDataSource",
                            "quicksight:DescribeDataSourcePermissions",
                            "quicksight:PassDataSource",
                        ],
                    }
                ],
            },
        }
    }
    for model, columns in gold_contracts().items():
        resources[f"Gold{_logical(model)}DataSet"] = {
            "Type": "AWS::QuickSight::DataSet",
            "Condition": "EnableQuickSight",
            "Properties": {
                "AwsAccountId": {"Ref": "AWS::AccountId"},
                "DataSetId": sub(f"${{AWS::StackName}}-gold-{model}"),
                "Name": f"gold.{model}",
                "ImportMode": "DIRECT_QUERY",
                "PhysicalTableMap": {
                    model.replace("_", "-"): {
                        "RelationalTable": {
                            "DataSourceArn": {"Fn::GetAtt": ["GoldDataSource", "Arn"]},
                            "Catalog": "AwsDataCatalog",
                            "Schema": "gold",
                            "Name": model,
                            "InputColumns": [{"Name": name, "Type": kind} for name, kind in columns],
                        }
                    }
                },
                "Permissions": [permissions],
            },
        }
    return resources


def _network_resources() -> dict[str, Any]:
    return {
        "VpcConnection": {
            "Type": "AWS::Glue::Connection",
            "Condition": "HasVpcOnRealAccount",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "ConnectionInput": {
                    "Name": sub("${AWS::StackName}-vpc"),
                    "Description": "Glue jobs reach Aurora, RDS MySQL and OpenSearch inside the VPC",
                    "ConnectionType": "NETWORK",
                    "PhysicalConnectionRequirements": {
                        "SubnetId": {"Fn::Select": [0, {"Ref": "SubnetIds"}]},
                        "SecurityGroupIdList": {"Ref": "SecurityGroupIds"},
                        "AvailabilityZone": {"Ref": "VpcAvailabilityZone"},
                    },
                },
            },
        }
    }


def _parameters(secret_settings: Sequence[str]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "LakeBucketName": {"Type": "String", "Description": "The lake bucket (LAKEHOUSE_BUCKET)"},
        "ArtifactBucket": {"Type": "String", "Description": "Bucket holding the artifacts `lakehouse package` built"},
        "ArtifactPrefix": {"Type": "String", "Description": "Key prefix of this build's artifacts (content hash)"},
        "PandasLayerArn": {
            "Type": "String",
            "Description": "AWS SDK for pandas managed layer for python3.11 x86_64 (pyarrow, numpy) in this region",
        },
        "SubnetIds": {
            "Type": "CommaDelimitedList",
            "Default": "",
            "Description": "Private subnets reaching Aurora, RDS MySQL and OpenSearch (empty: no VPC access)",
        },
        "SecurityGroupIds": {
            "Type": "CommaDelimitedList",
            "Default": "",
            "Description": "Security groups of the Glue Connection (self-referencing ingress required by Glue)",
        },
        "VpcAvailabilityZone": {
            "Type": "String",
            "Default": "",
            "Description": "Availability zone of the first subnet",
        },
        "AlertEmail": {"Type": "String", "Default": "", "Description": "E-mail subscribed to the alert topic"},
        "AnalystsPrincipalArn": {
            "Type": "String",
            "Default": "",
            "Description": "Who may assume the analysts' role (default: this account's IAM principals)",
        },
        "QuickSightPrincipalArn": {
            "Type": "String",
            "Default": "",
            "Description": "QuickSight user or group ARN owning the gold data sets (empty: no QuickSight)",
        },
        "AthenaBytesScannedCutoff": {
            "Type": "Number",
            "Default": 10 * 1024**3,
            "MinValue": 10 * 1024**2,
            "Description": "Athena cancels a query that scans more than this many bytes",
        },
        "Sandbox": {
            "Type": "String",
            "Default": "false",
            "AllowedValues": ["false", "true"],
            "Description": "true on the offline sandbox: leaves out the resource types it cannot create",
        },
    }
    for setting in secret_settings:
        if setting == "pseudonym_key_secret_id":
            continue
        name = setting.removesuffix("_secret_id")
        parameters[iam.secret_parameter(setting)] = {
            "Type": "String",
            "Default": f"lakehouse/{name}",
            "Description": f"Name of the Secrets Manager secret holding the {name} connection",
        }
    return parameters


def _conditions() -> dict[str, Any]:
    return {
        "IsRealAccount": {"Fn::Equals": [{"Ref": "Sandbox"}, "false"]},
        "HasVpc": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "SubnetIds"}]}, ""]}]},
        "HasVpcOnRealAccount": {"Fn::And": [{"Condition": "HasVpc"}, {"Condition": "IsRealAccount"}]},
        "HasAlertEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]},
        "HasAlertEmailOnRealAccount": {"Fn::And": [{"Condition": "HasAlertEmail"}, {"Condition": "IsRealAccount"}]},
        "HasAnalystsPrincipal": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AnalystsPrincipalArn"}, ""]}]},
        "EnableQuickSight": {
            "Fn::And": [
                {"Fn::Not": [{"Fn::Equals": [{"Ref": "QuickSightPrincipalArn"}, ""]}]},
                {"Condition": "IsRealAccount"},
            ]
        },
    }


def _outputs(components: Components, partners: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    real = {"Condition": "IsRealAccount"}
    outputs: dict[str, Any] = {
        "LakeBucket": {"Value": {"Ref": "LakeBucket"}},
        "AthenaResultsBucket": {"Value": {"Ref": "AthenaResultsBucket"}},
        "LakeKeyArn": {"Value": {"Fn::GetAtt": ["LakeKey", "Arn"]}},
        "AlertTopicArn": {"Value": {"Ref": "AlertTopic"}},
        "LambdaFailureQueueUrl": {"Value": {"Ref": "LambdaFailureQueue"}},
        "ScheduleFailureQueueUrl": {"Value": {"Ref": "ScheduleFailureQueue"}},
        "AnalystsRoleArn": {"Value": {"Fn::GetAtt": ["AnalystsRole", "Arn"]}},
        "PipelineWorkGroup": {"Value": {"Ref": "PipelineWorkGroup"}, **real},
        "AnalystsWorkGroup": {"Value": {"Ref": "AnalystsWorkGroup"}, **real},
        "PseudonymKeySecretArn": {"Value": {"Ref": "PseudonymKeySecret"}, **real},
        "SftpServerId": {"Value": {"Fn::GetAtt": ["SftpServer", "ServerId"]}, **real},
        "SftpEndpoint": {
            "Value": sub("${SftpServer.ServerId}.server.transfer.${AWS::Region}.amazonaws.com"),
            **real,
        },
        "SftpUsers": {"Value": ",".join(sorted(partners)) or "-"},
        "VpcConnection": {"Value": {"Ref": "VpcConnection"}, "Condition": "HasVpcOnRealAccount"},
        "GoldDataSourceArn": {"Value": {"Fn::GetAtt": ["GoldDataSource", "Arn"]}, "Condition": "EnableQuickSight"},
    }
    for function in components.functions:
        outputs[f"{function.logical_id}Function"] = {"Value": {"Ref": function.logical_id}}
    for job in components.jobs:
        outputs[f"{job.logical_id}Job"] = {"Value": {"Ref": job.logical_id}, **real}
    for workflow in components.workflows:
        outputs[f"{workflow.logical_id}Arn"] = {"Value": {"Ref": workflow.logical_id}}
    for target in components.schedules:
        name = _logical(target.schedule.name) + "Schedule"
        outputs[name] = {"Value": {"Ref": name}, **real}
    return outputs


def template(
    settings: Settings,
    partners: Mapping[str, Sequence[str]] | None = None,
    *,
    wheel_name: str | None = None,
    dbt_requirements: Sequence[str] | None = None,
) -> dict[str, Any]:
    components = deployed_components(settings)
    wheel = wheel_name or project_wheel_name()
    dbt = list(dbt_requirements if dbt_requirements is not None else project_dbt_requirements())
    secrets = sorted({name for job in components.jobs for name in job.secrets})
    resources: dict[str, Any] = {
        **_storage_resources(components),
        **_alert_resources(components),
        **_analysts_resources(),
        **_network_resources(),
        **_sftp_resources(partners or {}),
        **_quicksight_resources(),
        **_schedule_resources(components),
    }
    for function in components.functions:
        resources |= _function_resources(function, components, settings)
    for job in components.jobs:
        resources |= _glue_job_resources(job, dbt, wheel)
    for workflow in components.workflows:
        resources |= _workflow_resources(workflow)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "lakehouse: lake and results buckets, SFTP, handlers, Glue jobs, day workflows,"
        " schedules, catalog, Athena workgroups, alerts, analysts' access",
        "Parameters": _parameters(secrets),
        "Conditions": _conditions(),
        "Resources": resources,
        "Outputs": _outputs(components, partners or {}),
    }


def template_json(settings: Settings, partners: Mapping[str, Sequence[str]] | None = None) -> str:
    return json.dumps(template(settings, partners), indent=2, sort_keys=True)
