"""Starting a Glue job run: the Glue API on AWS, the same job scripts in process locally (same arguments)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from core import registry
from core.layout import LakeLayout
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
        return lambda options: run_glue_script(module_name, {"lake_uri": layout.uri, **options})

    return LocalJobLauncher(
        {source.glue_job_name(settings): job(source.glue_script) for source in registry.SOURCES}
    )
