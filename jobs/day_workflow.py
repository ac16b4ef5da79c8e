"""Starting a day's workflow from a schedule (``daily-run``, 23:00 America/Sao_Paulo, -> end of day).

The day is the Sao Paulo date of the scheduled time, or the one given (a manual rerun). The backend's
launcher starts it; on AWS that is the workflow's state machine with an execution named by the workflow
and the day, so a schedule delivered twice starts one execution.
"""

from __future__ import annotations

import datetime as dt

from core.backend import Backend
from jobs.sla_check import scheduled_day


def start_day_workflow(
    backend: Backend, workflow: str, scheduled_time: str | None, now: dt.datetime, day: str | None = None
) -> dict[str, str]:
    """Starts ``workflow`` for its day; returns what was started (workflow, day, run id)."""
    run_day = day or scheduled_day(scheduled_time, now)
    run_id = backend.launcher.start_job_run(workflow, {"--day": run_day})
    return {"job": workflow, "day": run_day, "run_id": run_id}
