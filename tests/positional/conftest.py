from __future__ import annotations

from pathlib import Path

import pytest

from core.storage import LocalObjectStore


@pytest.fixture
def lake(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "lake")
