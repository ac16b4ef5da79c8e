"""``lakehouse package``, ``lakehouse deploy`` and ``lakehouse destroy``.

Deploy builds the artifacts, uploads them under a prefix named by their content hash (an unchanged
build uploads nothing), uploads the template beside them (it is over CloudFormation's 51 KB inline
limit) and creates the stack, or updates it through a change set; a change set with no changes is deleted
and reported as a no-op. It works against a real account with the standard AWS environment,
and against ``lakehouse sandbox`` (``AWS_ENDPOINT_URL`` set), where the ``Sandbox`` parameter leaves out
the resource types moto's CloudFormation cannot create (``template.SANDBOX_OMITTED``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from core.settings import Settings
from orchestration.aws.package import Package, build_package
from orchestration.aws.template import PartnersFileError, load_partners, template

CAPABILITIES = ["CAPABILITY_IAM"]
PANDAS_LAYER_PARAMETER = "/aws/service/aws-sdk-pandas/{version}/{region}/py3.11/x86_64/layer-arn"
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class DeployError(RuntimeError):
    pass


@dataclass(frozen=True)
class DeployResult:
    stack: str
    action: str  # created | updated | unchanged
    outputs: dict[str, str]


def _session(region: str | None) -> Any:
    import boto3

    return boto3.session.Session(region_name=region)


def on_sandbox() -> bool:
    """The sandbox is the only endpoint deploy is pointed at through AWS_ENDPOINT_URL."""
    return bool(os.environ.get("AWS_ENDPOINT_URL"))


def _ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        configuration = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **configuration)
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError:
        return False
    return True


def upload_artifacts(s3: Any, bucket: str, package: Package) -> int:
    """Uploads what is not there yet; keys are content-addressed, so present means identical."""
    uploaded = 0
    for artifact in package.artifacts:
        key = f"{package.prefix}/{artifact.name}"
        if not _exists(s3, bucket, key):
            s3.upload_file(str(artifact.path), bucket, key)
            uploaded += 1
    return uploaded


def pandas_layer_arn(session: Any, region: str) -> str:
    """The AWS SDK for pandas layer matching the installed awswrangler, from AWS's public parameter."""
    from importlib import metadata

    name = PANDAS_LAYER_PARAMETER.format(version=metadata.version("awswrangler"), region=region)
    try:
        return str(session.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
    except Exception as exc:
        raise DeployError(
            f"no AWS SDK for pandas layer at {name} ({type(exc).__name__}): pass --pandas-layer ARN"
            " (https://aws-sdk-pandas.readthedocs.io/en/stable/layers.html)"
        ) from exc


def _stack_status(cloudformation: Any, stack: str) -> str | None:
    try:
        (description,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return str(description["StackStatus"])


def _wait_change_set(cloudformation: Any, stack: str, name: str) -> dict[str, Any]:
    for _ in range(600):
        described: dict[str, Any] = cloudformation.describe_change_set(StackName=stack, ChangeSetName=name)
        if described["Status"] in {"CREATE_COMPLETE", "FAILED"}:
            return described
        time.sleep(2)
    raise DeployError(f"change set {name} of {stack} did not complete")


def _outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    (description,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {item["OutputKey"]: item["OutputValue"] for item in description.get("Outputs", [])}


def deploy_stack(
    stack: str,
    lake_bucket: str,
    settings: Settings,
    *,
    artifacts_bucket: str | None = None,
    partners: Mapping[str, list[str]] | None = None,
    parameters: Mapping[str, str] | None = None,
    pandas_layer: str | None = None,
    sandbox: bool | None = None,
    region: str | None = None,
    package: Package | None = None,
) -> DeployResult:
    session = _session(region)
    region_name = session.region_name or "us-east-1"
    sandbox = on_sandbox() if sandbox is None else sandbox
    s3, cloudformation = session.client("s3"), session.client("cloudformation")
    bucket = artifacts_bucket or f"{lake_bucket}-artifacts"
    _ensure_bucket(s3, bucket, region_name)
    with tempfile.TemporaryDirectory(prefix="lakehouse-package-") as temp:
        built = package or build_package(Path(temp))
        upload_artifacts(s3, bucket, built)
    document = template(settings, partners or {})
    body = json.dumps(document, sort_keys=True, separators=(",", ":"))
    template_key = f"{built.prefix}/template-{hashlib.sha256(body.encode()).hexdigest()[:16]}.json"
    if not _exists(s3, bucket, template_key):
        s3.put_object(Bucket=bucket, Key=template_key, Body=body.encode())
    values = {
        "LakeBucketName": lake_bucket,
        "ArtifactBucket": bucket,
        "ArtifactPrefix": built.prefix,
        "Sandbox": "true" if sandbox else "false",
        "PandasLayerArn": "none-in-the-sandbox" if sandbox else (pandas_layer or pandas_layer_arn(session, region_name)),
        **(parameters or {}),
    }
    status = _stack_status(cloudformation, stack)
    if status == "ROLLBACK_COMPLETE":
        raise DeployError(f"stack {stack} is ROLLBACK_COMPLETE (its creation failed): `lakehouse destroy --stack {stack}` first")
    request = {
        "StackName": stack,
        "TemplateURL": f"https://{bucket}.s3.{region_name}.amazonaws.com/{template_key}",
        "Parameters": [{"ParameterKey": key, "ParameterValue": value} for key, value in sorted(values.items())],
        "Capabilities": CAPABILITIES,
        "Tags": [{"Key": "lakehouse:stack", "Value": stack}],
    }
    if status is None:
        # A new stack has nothing to review: created directly (moto also keeps the Outputs this way;
        # a stack it creates from a CREATE change set has none).
        cloudformation.create_stack(**request)
        _wait(cloudformation, "stack_create_complete", stack)
        if sandbox:
            apply_bucket_notifications(session, stack, lake_bucket, document)
        return DeployResult(stack, "created", _outputs(cloudformation, stack))
    name = f"lakehouse-{int(time.time() * 1000)}"
    cloudformation.create_change_set(**request, ChangeSetName=name, ChangeSetType="UPDATE")
    described = _wait_change_set(cloudformation, stack, name)
    if described["Status"] == "FAILED":
        reason = str(described.get("StatusReason", ""))
        cloudformation.delete_change_set(StackName=stack, ChangeSetName=name)
        if any(marker in reason for marker in NO_CHANGES):
            return DeployResult(stack, "unchanged", _outputs(cloudformation, stack))
        raise DeployError(f"change set for {stack} failed: {reason}")
    cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
    _wait(cloudformation, "stack_update_complete", stack)
    if sandbox:
        apply_bucket_notifications(session, stack, lake_bucket, document)
    return DeployResult(stack, "updated", _outputs(cloudformation, stack))


def _wait(cloudformation: Any, waiter: str, stack: str) -> None:
    try:
        cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig={"Delay": 5, "MaxAttempts": 720})
    except Exception as exc:
        raise DeployError(f"{stack}: {_stack_status(cloudformation, stack)}: {exc}") from exc


def apply_bucket_notifications(session: Any, stack: str, lake_bucket: str, document: dict[str, Any]) -> None:
    """moto's CloudFormation creates the bucket without its NotificationConfiguration: the sandbox gets
    the template's own notifications (prefix -> function of this stack) put on the bucket directly."""
    lambdas = session.client("lambda")
    functions = document["Resources"]
    declared = document["Resources"]["LakeBucket"]["Properties"]["NotificationConfiguration"]
    configurations = [
        {
            "Events": [item["Event"]],
            "LambdaFunctionArn": lambdas.get_function(FunctionName=_function_name(functions, item, stack))[
                "Configuration"
            ]["FunctionArn"],
            "Filter": {"Key": {"FilterRules": item["Filter"]["S3Key"]["Rules"]}},
        }
        for item in declared["LambdaConfigurations"]
    ]
    session.client("s3").put_bucket_notification_configuration(
        Bucket=lake_bucket, NotificationConfiguration={"LambdaFunctionConfigurations": configurations}
    )


def _function_name(resources: dict[str, Any], notification: dict[str, Any], stack: str) -> str:
    logical_id = notification["Function"]["Fn::GetAtt"][0]
    return str(resources[logical_id]["Properties"]["FunctionName"]["Fn::Sub"]).replace("${AWS::StackName}", stack)


def destroy_stack(stack: str, *, region: str | None = None) -> str:
    """Deletes the stack; the lake bucket is retained (DeletionPolicy), the results bucket must be empty."""
    cloudformation = _session(region).client("cloudformation")
    if _stack_status(cloudformation, stack) is None:
        return "absent"
    cloudformation.delete_stack(StackName=stack)
    _wait(cloudformation, "stack_delete_complete", stack)
    return "deleted"


def _parse_parameters(items: list[str] | None) -> dict[str, str]:
    parsed = {}
    for item in items or []:
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise typer.BadParameter(f"{item!r}: expected Key=Value", param_hint="--parameter")
        parsed[key] = value
    return parsed


def _size(count: int) -> str:
    return f"{count / 1e6:.2f} MB" if count >= 1e6 else f"{count / 1e3:.1f} kB"


def register(app: typer.Typer, settings: Callable[[], Settings]) -> None:
    """Adds ``package``, ``deploy`` and ``destroy`` to the ``lakehouse`` command; ``settings`` gives the
    command's Settings (built by the CLI, the entry point)."""

    @app.command("package")
    def package_command(
        out: Annotated[Path, typer.Option("--out", help="Where to write the artifacts.")] = Path("dist/aws"),
    ) -> None:
        """Build the Lambda artifact, the project wheel and the Glue scripts the AWS template references."""
        built = build_package(out)
        for artifact in built.artifacts:
            unzipped = f" ({_size(artifact.unzipped_size)} unzipped)" if artifact.unzipped_size else ""
            typer.echo(f"{artifact.name}: {_size(artifact.size)}{unzipped}")
        typer.echo(f"artifacts in {out} (prefix {built.prefix}); manifest: {out / 'manifest.json'}")

    @app.command("deploy")
    def deploy_command(
        stack: Annotated[str, typer.Option("--stack", help="CloudFormation stack name.")],
        bucket: Annotated[str, typer.Option("--bucket", help="Lake bucket the stack creates (LAKEHOUSE_BUCKET).")],
        artifacts_bucket: Annotated[
            str | None, typer.Option("--artifacts-bucket", help="Bucket for artifacts (default <bucket>-artifacts).")
        ] = None,
        partners: Annotated[
            Path | None, typer.Option("--partners", help="YAML: <partner>: [<OpenSSH public key>, ...]")
        ] = None,
        parameter: Annotated[
            list[str] | None, typer.Option("--parameter", help="Extra template parameter Key=Value (repeatable).")
        ] = None,
        pandas_layer: Annotated[
            str | None, typer.Option("--pandas-layer", help="AWS SDK for pandas layer ARN (default: AWS's SSM parameter).")
        ] = None,
    ) -> None:
        """Upload the artifacts and create or update the stack (no-op when nothing changed)."""
        try:
            partner_keys = load_partners(partners) if partners else {}
            result = deploy_stack(
                stack,
                bucket,
                settings(),
                artifacts_bucket=artifacts_bucket,
                partners=partner_keys,
                parameters=_parse_parameters(parameter),
                pandas_layer=pandas_layer,
            )
        except PartnersFileError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
        except DeployError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"stack {result.stack}: {result.action}")
        for key, value in sorted(result.outputs.items()):
            typer.echo(f"  {key} = {value}")

    @app.command("destroy")
    def destroy_command(stack: Annotated[str, typer.Option("--stack", help="CloudFormation stack name.")]) -> None:
        """Delete the stack (the lake bucket and its data are kept)."""
        typer.echo(f"stack {stack}: {destroy_stack(stack)}")
