"""``lakehouse sandbox``: moto's AWS APIs on 127.0.0.1 in this process, Athena statements executed.

Every service moto serves is there (S3, Glue, Athena, Secrets Manager, SNS, CloudWatch, EventBridge,
Scheduler, Step Functions, DynamoDB, CloudFormation, STS, ...); Step Functions definitions execute, the
deployed stack's state machines included (``sandbox.step_functions``); Glue job runs of deployed
scripts run them on local Spark (``sandbox.glue_runs``); the project's Lambda functions run their
handler in process when invoked or notified (``sandbox.lambda_runtime``). ``sandbox.stack`` completes a
deployed stack with what moto's CloudFormation cannot create and fires its schedules.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from sandbox.athena import AthenaExecution, forget_executions, install_executing_athena
from sandbox.glue_runs import install_executing_glue
from sandbox.lambda_runtime import install_in_process_lambda
from sandbox.step_functions import install_executing_deployed_state_machines, route_integrations_to

REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}


@dataclass
class Sandbox:
    """A running sandbox: its endpoint, the environment that points clients at it, its Athena log."""

    host: str
    port: int
    statement_log: Path | None
    _stop: Callable[[], None] = field(repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """What a process needs to use the sandbox as its AWS account (boto3, awswrangler, dbt-athena)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            **FAKE_CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }

    def executions(self) -> list[AthenaExecution]:
        """Every Athena statement received so far, in order, with its outcome."""
        from sandbox.athena import recorded_executions

        return recorded_executions()

    def reset(self) -> None:
        """Empties the account, Athena's statement history included. Every moto server of one process
        shares its backends, so another server started in the same process (a test session's) leaves its
        buckets, databases and tables here."""
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=30).raise_for_status()
        forget_executions()
        _execute_state_machines(self.endpoint)

    def stop(self) -> None:
        self._stop()


def _execute_state_machines(endpoint: str) -> None:
    response = requests.post(
        f"{endpoint}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
        timeout=10,
    )
    response.raise_for_status()


def start_sandbox(port: int = 0, host: str = "127.0.0.1", statement_log: Path | None = None) -> Sandbox:
    """Starts the sandbox in a background thread of this process; ``port=0`` picks a free port.

    ``statement_log``: a JSON Lines file receiving every Athena statement and its outcome."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request drowns everything else
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    endpoint = f"http://{bound_host}:{bound_port}"
    install_executing_athena(endpoint, statement_log)
    install_executing_glue()
    install_in_process_lambda()
    install_executing_deployed_state_machines()
    unroute = route_integrations_to(bound_port)
    _execute_state_machines(endpoint)

    def stop() -> None:
        unroute()
        server.stop()

    return Sandbox(host=bound_host, port=bound_port, statement_log=statement_log, _stop=stop)


def environment_lines(sandbox: Sandbox) -> list[str]:
    return [f"export {name}={value}" for name, value in sandbox.environment().items()]


def serve_sandbox(port: int, statement_log: Path | None = None, echo: Callable[[str], None] = print) -> None:
    """Runs the sandbox until interrupted, after printing the environment to use it."""
    sandbox = start_sandbox(port, statement_log=statement_log)
    echo(f"AWS sandbox on {sandbox.endpoint} (Athena statements run on DuckDB). Use it with:")
    for line in environment_lines(sandbox):
        echo(line)
    if statement_log is not None:
        echo(f"# Athena statements are recorded in {statement_log}")
    if os.environ.get("AWS_ENDPOINT_URL") != sandbox.endpoint:
        # The deployed functions and Glue jobs run in this process and reach AWS through its environment.
        echo("# To drive a deployed stack here, start the sandbox itself with that environment.")
    echo("# Ctrl-C stops it; everything it holds is in memory and goes with it.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
