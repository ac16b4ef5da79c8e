"""Starting a Glue job run: the Glue API on AWS, an in-process runner locally (same arguments)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol


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
