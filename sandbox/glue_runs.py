"""The sandbox's stand-in for Glue job runs: ``StartJobRun`` of a job whose script is in the sandbox's S3
runs that script, on local Spark, in this process, and ``GetJobRun`` reports RUNNING until it ends, then
SUCCEEDED or FAILED with its error, as Glue does.

What runs is what Glue would run: the object at the job's ``Command.ScriptLocation`` (the artifact
``lakehouse deploy`` uploaded), its ``main(argv)`` called with Glue's ``sys.argv``: ``--JOB_ID``,
``--JOB_RUN_ID``, ``--JOB_NAME``, then the job's ``DefaultArguments`` overridden by the run's
``Arguments`` (moto merges them as Glue does). The imports the script makes resolve to this project's
code (on Glue, to the wheel in ``--additional-python-modules``). Spark reads and writes S3 through the
local staging area of ``core.s3_staging`` (no S3A connector offline). A script that raises or exits
non-zero is a FAILED run.

Runs execute one at a time in a worker thread (one local Spark stands in for every Glue worker); the
run is RUNNING while it waits. Jobs whose script is not an object in the sandbox (other tests' fake
jobs) keep moto's behaviour. Not reproduced: worker types and counts, timeouts, retries
(``MaxRetries``), bookmarks, and ``--additional-python-modules`` (nothing is installed).
"""

from __future__ import annotations

import logging
import runpy
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from core.s3_staging import staged_s3_io
from sandbox.glue import ACCOUNT_ID

log = logging.getLogger(__name__)
_ONE_WORKER = threading.Lock()


def _script_bytes(location: str) -> bytes | None:
    """The script object at ``s3://bucket/key`` in the sandbox's S3, or None when there is none."""
    from moto.s3.models import s3_backends

    bucket, _, key = location.removeprefix("s3://").partition("/")
    if not location.startswith("s3://") or not key:
        return None
    backend = s3_backends[ACCOUNT_ID]["global"]
    try:
        found = backend.get_object(bucket, key)
    except Exception:  # no such bucket or key: not a script the sandbox can run
        return None
    return None if found is None else bytes(found.value)


def glue_argv(script: str, job_name: str, run_id: str, arguments: dict[str, str]) -> list[str]:
    """``sys.argv`` as Glue gives it to a script: its own ids first, then every argument."""
    argv = [script, "--JOB_ID", f"j_{job_name}", "--JOB_RUN_ID", run_id, "--JOB_NAME", job_name]
    for name, value in arguments.items():
        argv += [name, value]
    return argv


def run_script(source: bytes, argv: list[str]) -> str | None:
    """Runs a Glue script's ``main(argv)``; returns None on success, else the run's error message."""
    with tempfile.TemporaryDirectory(prefix="sandbox-glue-") as work:
        path = Path(work) / Path(argv[0]).name
        path.write_bytes(source)
        try:
            namespace = runpy.run_path(str(path), run_name="sandbox_glue_script")
            with staged_s3_io():
                namespace["main"](argv)
        except SystemExit as exc:
            if exc.code not in (0, None):
                return f"the script exited {exc.code}"
        except Exception as exc:
            log.error("sandbox Glue run of %s failed", argv[0], exc_info=True)
            return f"{type(exc).__name__}: {exc} | " + " | ".join(traceback.format_tb(exc.__traceback__)[-2:])
    return None


def _execute(run: Any, source: bytes, argv: list[str]) -> None:
    with _ONE_WORKER:
        run.status = "RUNNING"
        run.started_on_sandbox = time.time()
        error = run_script(source, argv)
    run.completed_on = _now()
    run.execution_seconds = int(time.time() - run.started_on_sandbox)
    run.error_message = error
    run.status = "FAILED" if error else "SUCCEEDED"


def _now() -> Any:
    from moto.core.utils import utcnow

    return utcnow()


def install_executing_glue() -> None:
    """Patches moto's Glue (in this process): job runs of scripts in the sandbox's S3 execute them."""
    from moto.glue import models

    job_class: Any = models.FakeJob  # patched, so typed loosely
    run_class: Any = models.FakeJobRun
    if getattr(job_class, "_sandbox_installed", False):
        return
    original_start = job_class.start_job_run
    original_as_dict = run_class.as_dict

    def start_job_run(self: Any, **kwargs: Any) -> str:
        run_id: str = original_start(self, **kwargs)
        command: Any = self.command or {}
        location = str(command.get("ScriptLocation", "")) if isinstance(command, dict) else ""
        source = _script_bytes(location)
        if source is None:
            return run_id
        run = next(item for item in self.job_runs if item.job_run_id == run_id)
        # A fixed state from here on: this run reports what the script does, not moto's timeline.
        run._transitions = [("STARTING", "STARTING")]
        run.status = "STARTING"
        run.sandbox_executed = True
        argv = glue_argv(location.rsplit("/", 1)[-1], self.name, run_id, dict(run.arguments or {}))
        threading.Thread(target=_execute, args=(run, source, argv), name=f"glue-{self.name}", daemon=True).start()
        return run_id

    def as_dict(self: Any) -> dict[str, Any]:
        described: dict[str, Any] = original_as_dict(self)
        if getattr(self, "sandbox_executed", False):
            described["GlueVersion"] = "5.0"
            if self.status in {"SUCCEEDED", "FAILED"}:
                described["ExecutionTime"] = getattr(self, "execution_seconds", 0)
            else:
                described.pop("CompletedOn", None)
            if getattr(self, "error_message", None):
                described["ErrorMessage"] = self.error_message
        return described

    job_class.start_job_run = start_job_run
    run_class.as_dict = as_dict
    job_class._sandbox_installed = True

