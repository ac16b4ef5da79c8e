"""Step Functions in the sandbox: the stack's state machines executed by moto's interpreter.

moto keeps two Step Functions backends: the one its CloudFormation creates state machines into, and
the executing one the API uses once ``execute_state_machine`` is on (the sandbox turns it on). So that
a deployed state machine is the one that runs, the executing backend looks a machine up in the other
one when asked for it, and takes its definition as deployed (created on first use, updated when the
stack changed it). moto's interpreter calls the service integrations (``glue:startJobRun.sync``,
``sns:publish``) over HTTP on ``localhost:MOTO_PORT``; in the sandbox that is the sandbox's own port
(an explicit ``MOTO_PORT`` in the environment still wins).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

_PORTS: list[int] = []  # sandboxes running in this process, latest last


def install_executing_deployed_state_machines() -> None:
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    if getattr(StepFunctionsParserBackend, "_sandbox_installed", False):
        return
    original: Callable[[Any, str], Any] = StepFunctionsParserBackend.describe_state_machine
    syncing = threading.local()  # creating a machine describes it: no sync inside a sync

    def describe_state_machine(self: StepFunctionsParserBackend, arn: str) -> Any:
        deployed_backend = stepfunctions_backends[self.account_id][self.region_name]
        deployed = next((item for item in deployed_backend.state_machines if item.arn == arn), None)
        if deployed is not None and not getattr(syncing, "active", False):
            syncing.active = True
            try:
                _sync(self, deployed)
            finally:
                syncing.active = False
        return original(self, arn)

    def _sync(self: StepFunctionsParserBackend, deployed: Any) -> None:
        own = next((item for item in self.state_machines if item.arn == deployed.arn), None)
        if own is None:
            self.create_state_machine(name=deployed.name, definition=deployed.definition, roleArn=deployed.roleArn)
        elif own.definition != deployed.definition:
            self.update_state_machine(deployed.arn, definition=deployed.definition, role_arn=deployed.roleArn)

    StepFunctionsParserBackend.describe_state_machine = describe_state_machine  # type: ignore[method-assign]
    StepFunctionsParserBackend._sandbox_installed = True  # type: ignore[attr-defined]


def route_integrations_to(port: int) -> Callable[[], None]:
    """Service integrations of executions go to this sandbox; returns what undoes it (at stop)."""
    from moto.stepfunctions.parser.asl.utils import boto_client

    if not _PORTS:
        boto_client.moto_server_port = _integration_port  # type: ignore[assignment]
    _PORTS.append(port)

    def undo() -> None:
        _PORTS.remove(port)
        if not _PORTS:
            from moto.settings import moto_server_port

            boto_client.moto_server_port = moto_server_port  # type: ignore[assignment]

    return undo


def _integration_port() -> str:
    return os.environ.get("MOTO_PORT") or str(_PORTS[-1])
