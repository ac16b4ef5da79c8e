"""The offline AWS stand-in: a moto server in process whose Athena executes SQL on DuckDB."""

from __future__ import annotations

from sandbox.server import Sandbox, serve_sandbox, start_sandbox

__all__ = ["Sandbox", "serve_sandbox", "start_sandbox"]
