"""One `lakehouse demo` day for the session, shared by the tests that only read what it leaves.

A demo day (inputs generated, Spark jobs, dbt build, publication, dashboard) is the most expensive
thing the tests do; the CLI, dashboard and AWS-path tests each read the same day, so it runs once. A
test that changes a lake builds its own: this one must stay as the demo left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

DEMO_DAY = "2025-03-10"
DEMO_ROWS = 60  # partner CSV rows; the size is not what the readers check
DEMO_PSEUDONYM_KEY = "an-offline-demo-key"  # another backend given the same key gives the same client ids


@dataclass(frozen=True)
class DemoDay:
    lake: Path
    output: str  # what `lakehouse demo` printed
    day: str = DEMO_DAY
    rows: int = DEMO_ROWS
    pseudonym_key: str = DEMO_PSEUDONYM_KEY


@pytest.fixture(scope="session")
def demo_day(tmp_path_factory: pytest.TempPathFactory) -> DemoDay:
    """``lakehouse demo --date DEMO_DAY --rows DEMO_ROWS`` on a lake of its own. Read it, never change it."""
    from typer.testing import CliRunner

    from orchestration.cli import app

    lake = tmp_path_factory.mktemp("demo-day") / "lake"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAKEHOUSE_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY)
        for name in ("LAKEHOUSE_BACKEND", "LAKEHOUSE_BUCKET", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        result = CliRunner().invoke(app, ["demo", "--lake", str(lake), "--date", DEMO_DAY, "--rows", str(DEMO_ROWS)])
    assert result.exit_code == 0, result.output
    return DemoDay(lake, result.output)
