"""The sandbox's stand-in for the Lambda service: a deployed function invoked (by an S3 notification,
a schedule firing it, or ``lambda:Invoke``) runs its handler in this process.

moto can only invoke a function inside Docker, which the sandbox does not have. Here the deployed
function's own configuration says what runs: its ``Handler`` (``module.function``, the dotted path the
Lambda runtime imports from the artifact) and its ``Environment`` (what the handler's Settings read on AWS).
The handler gets the Backend built from that environment through its context (``lambdas.entry``'s
``lakehouse_backend``), exactly as the local dispatcher hands it one, so the function's settings reach
it without touching this process's environment. A handler that raises is an invocation error
(``FunctionError: Unhandled``), as on Lambda.

Not reproduced: the artifact's import closure and size limits (``tests/infrastructure/test_package.py``
checks those), timeouts, memory, concurrency, and asynchronous retries: an S3 notification runs the
handler before the upload returns.
"""

from __future__ import annotations

import importlib
import json
import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_settings import EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from core.backend import Backend, build_backend
from core.settings import Settings

log = logging.getLogger(__name__)
PROJECT_HANDLERS = "lambdas."  # what the project's artifact holds; other functions keep moto's behaviour


@dataclass(frozen=True)
class SandboxLambdaContext:
    """The Lambda context a handler receives, carrying the function's Backend (``lambdas.entry``)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    lakehouse_backend: Backend


class _FunctionEnvironment(EnvSettingsSource):
    """pydantic-settings' own parsing of ``LAKEHOUSE_*`` variables (JSON for dicts and lists), applied
    to the function's configured environment instead of this process's."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self._variables = dict(variables)
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._variables, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


def function_settings(variables: Mapping[str, str]) -> Settings:
    """The Settings a deployed function builds on AWS from its environment; this runtime is the entry
    point of the invocation, so it builds them, once per invocation."""
    return Settings.model_validate(_FunctionEnvironment(variables)())


def load_handler(dotted: str) -> Callable[[dict[str, Any], Any], Any]:
    """``lambdas.x.handler.handler`` -> the function, as the Lambda runtime resolves ``Handler``."""
    module_name, _, function_name = dotted.rpartition(".")
    handler: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module_name), function_name)
    return handler


def invoke_in_process(
    handler_path: str, environment: Mapping[str, str], event: Any, function_name: str, function_arn: str, memory_mb: int
) -> tuple[str, bool]:
    """Runs the handler; returns (the JSON payload, whether the invocation errored)."""
    context = SandboxLambdaContext(
        function_name=function_name,
        invoked_function_arn=function_arn,
        memory_limit_in_mb=memory_mb,
        aws_request_id=f"sandbox-{id(event):x}",
        lakehouse_backend=build_backend(function_settings(environment)),
    )
    try:
        result = load_handler(handler_path)(event, context)
    except Exception as exc:  # the invocation's error, reported as Lambda reports an unhandled one
        log.error("sandbox Lambda %s failed: %s", function_name, type(exc).__name__, exc_info=True)
        payload = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
        return json.dumps(payload), True
    return json.dumps(result, default=str), False


def install_in_process_lambda() -> None:
    """Patches moto's Lambda (in this process) so the project's functions run their handler here."""
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, "_sandbox_installed", False):
        return
    original = LambdaFunction._invoke_lambda

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        if not str(self.handler).startswith(PROJECT_HANDLERS):
            return original(self, event)
        payload, errored = invoke_in_process(
            str(self.handler),
            {str(name): str(value) for name, value in (self.environment_vars or {}).items()},
            event if event is not None else {},
            self.function_name,
            self.function_arn,
            int(self.memory_size),
        )
        return payload, errored, ""

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    LambdaFunction._sandbox_installed = True  # type: ignore[attr-defined]
