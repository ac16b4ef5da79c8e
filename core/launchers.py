"""Starting a Glue job run: the Glue API on AWS, the same job scripts in process locally (same arguments)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from core import registry
from core.layout import LakeLayout
from core.s3_staging import staged_s3_io
from core.settings import Settings

log = logging.getLogger(__name__)


class JobLauncher(Protocol):
    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str: ...


class GlueJobLauncher:
    def __init__(self, client: Any) -> None:
        self.client = client

    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
        response = self.client.start_job_run(JobName=job_name, Arguments=arguments)
        return str(response["JobRunId"])


def execution_name(job_name: str, day: str) -> str:
    """The execution of ``job_name`` for ``day``: Step Functions refuses a second one of that name."""
    return f"{job_name}-{day}"


class StateMachineLauncher:
    """Starts the day workflow (a Step Functions state machine) that stands for a job on AWS.

    ``state_machines`` maps a job name to its state machine ARN; other names go to ``fallback`` (Glue).
    The execution is named by the job and its ``--day``, so a duplicate start, from a retried event
    or a schedule delivered twice, finds the day's execution instead of starting another.
    """

    def __init__(self, client: Any, state_machines: Mapping[str, str], fallback: JobLauncher) -> None:
        self.client = client
        self.state_machines = state_machines
        self.fallback = fallback

    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
        arn = self.state_machines.get(job_name)
        if arn is None:
            return self.fallback.start_job_run(job_name, arguments)
        if "--day" not in arguments:
            raise ValueError(f"{job_name}: a day workflow needs --day to name its execution")
        name = execution_name(job_name, arguments["--day"])
        payload = {key.removeprefix("--"): value for key, value in arguments.items()}
        try:
            response = self.client.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))
        except self.client.exceptions.ExecutionAlreadyExists:
            return arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
        return str(response["executionArn"])


JobFunction = Callable[[dict[str, str]], object]


class LocalJobLauncher:
    """Runs the job synchronously; arguments arrive exactly as Glue would pass them (``--name`` keys)."""

    def __init__(self, jobs: Mapping[str, JobFunction]) -> None:
        self.jobs = jobs
        self.runs: list[tuple[str, str, dict[str, str]]] = []

    def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
        if job_name not in self.jobs:
            raise KeyError(f"no local job named {job_name!r} (known: {', '.join(sorted(self.jobs))})")
        run_id = f"jr_local_{uuid.uuid4().hex}"
        self.jobs[job_name]({name.removeprefix("--"): value for name, value in arguments.items()})
        self.runs.append((run_id, job_name, arguments))
        return run_id


def run_glue_script(module_name: str, options: Mapping[str, str]) -> None:
    """Runs a Glue script's ``main`` in process with ``--name value`` arguments, as Glue runs ScriptLocation.

    A script that ends with a non-zero exit is a failed job run, as on Glue: logged, not raised into the
    caller that started it (which on AWS would long have returned). Exceptions propagate as before.
    """
    argv = [module_name, *(part for name, value in options.items() for part in (f"--{name}", value))]
    try:
        registry.resolve(module_name).main(argv)
    except SystemExit as exc:
        if exc.code not in (0, None):
            log.error("local Glue job %s exited %s", module_name, exc.code)


def local_glue_launcher(settings: Settings, layout: LakeLayout) -> LocalJobLauncher:
    """The local stand-in for the Glue service: every registry source's job name -> its script module.

    The lake is a default argument of every job (``--lake_uri``), as a Glue job's DefaultArguments are;
    a run's own arguments override it.
    """

    def job(module_name: str) -> JobFunction:
        def run(options: dict[str, str]) -> None:
            # On a bucket, Spark (no S3A connector here) reads and writes through local files.
            with staged_s3_io():
                run_glue_script(module_name, {"lake_uri": layout.uri, **options})

        return run

    return LocalJobLauncher(
        {source.glue_job_name(settings): job(source.glue_script) for source in registry.SOURCES}
    )
