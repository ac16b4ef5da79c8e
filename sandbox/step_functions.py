"""Step Functions in the sandbox: the stack's state machines executed by moto's interpreter.

moto keeps two Step Functions backends: the one its CloudFormation creates state machines into, and
the executing one the API uses once ``execute_state_machine`` is on (the sandbox turns it on). So that
a deployed state machine is the one that runs, the executing backend looks a machine up in the other
one when asked for it, and takes its definition as deployed (created on first use, updated when the
stack changed it).

moto 5.2's ``glue:startJobRun.sync`` fails every task after the job run ended (its ``finally``
interrupts the task's callback endpoint, which only exists for services that also support
``.waitForTaskToken``): the sandbox gives Glue tasks that endpoint, unused, so a finished run's
outcome reaches the state (SUCCEEDED: the next state; FAILED: ``States.TaskFailed``, caught by the
definition's ``Catch``); the run it returns is made JSON (its timestamps as epoch milliseconds, as
Step Functions shows them), which moto leaves as Python datetimes that break DescribeExecution. moto's
interpreter calls the service integrations (``glue:startJobRun.sync``,
``sns:publish``) over HTTP on ``localhost:MOTO_PORT``; in the sandbox that is the sandbox's own port
(an explicit ``MOTO_PORT`` in the environment still wins).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable
from typing import Any

_PORTS: list[int] = []  # sandboxes running in this process, latest last


def install_executing_deployed_state_machines() -> None:
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser import models

    executing: Any = models.StepFunctionsParserBackend  # patched, so typed loosely
    if getattr(executing, "_sandbox_installed", False):
        return
    original: Callable[[Any, str], Any] = executing.describe_state_machine
    syncing = threading.local()  # creating a machine describes it: no sync inside a sync

    def describe_state_machine(self: Any, arn: str) -> Any:
        deployed_backend = stepfunctions_backends[self.account_id][self.region_name]
        deployed = next((item for item in deployed_backend.state_machines if item.arn == arn), None)
        if deployed is not None and not getattr(syncing, "active", False):
            syncing.active = True
            try:
                _sync(self, deployed)
            finally:
                syncing.active = False
        return original(self, arn)

    def _sync(self: Any, deployed: Any) -> None:
        own = next((item for item in self.state_machines if item.arn == deployed.arn), None)
        if own is None:
            self.create_state_machine(name=deployed.name, definition=deployed.definition, roleArn=deployed.roleArn)
        elif own.definition != deployed.definition:
            self.update_state_machine(deployed.arn, definition=deployed.definition, role_arn=deployed.roleArn)

    executing.describe_state_machine = describe_state_machine
    executing._sandbox_installed = True
    _give_glue_tasks_a_callback_endpoint()


def _give_glue_tasks_a_callback_endpoint() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_glue as glue_task,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )

    patterns: Any = glue_task._SUPPORTED_INTEGRATION_PATTERNS
    patterns.add(ResourceCondition.WaitForTaskToken)
    glue_service: Any = glue_task.StateTaskServiceGlue
    original = glue_service._sync_to_start_job_run

    def _sync_to_start_job_run(self: Any, *args: Any, **kwargs: Any) -> Callable[[], Any] | None:
        resolver = original(self, *args, **kwargs)
        if resolver is None:
            return None
        poll: Callable[[], Any] = resolver

        def as_json() -> Any:
            run = poll()
            return None if run is None else json.loads(json.dumps(run, default=_epoch_millis))

        return as_json

    glue_service._sync_to_start_job_run = _sync_to_start_job_run


def _epoch_millis(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return int(value.timestamp() * 1000)
    raise TypeError(f"{type(value).__name__} is not JSON")


def route_integrations_to(port: int) -> Callable[[], None]:
    """Service integrations of executions go to this sandbox; returns what undoes it (at stop)."""
    from moto.stepfunctions.parser.asl.utils import boto_client

    if not _PORTS:
        boto_client.moto_server_port = _integration_port
    _PORTS.append(port)

    def undo() -> None:
        _PORTS.remove(port)
        if not _PORTS:
            from moto.settings import moto_server_port

            boto_client.moto_server_port = moto_server_port

    return undo


def _integration_port() -> str:
    return os.environ.get("MOTO_PORT") or str(_PORTS[-1])
