"""A missing server or binary skips a test on a laptop but fails it in CI (CI=true), never a silent skip there."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_executable(name_or_path: str, hint: str) -> str:
    found = shutil.which(name_or_path) or (name_or_path if Path(name_or_path).is_file() else None)
    if found:
        return found
    message = f"{name_or_path} is missing: {hint}"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
