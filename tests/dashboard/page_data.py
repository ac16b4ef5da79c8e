"""Reading a written dashboard back: the data it embeds, and the dbt analyses it answers as plain SQL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ANALYSES_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "analyses"
_REF = re.compile(r"\{\{\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")
_DATA = re.compile(r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.DOTALL)


def embedded_data(page: str) -> dict[str, Any]:
    found = _DATA.search(page)
    assert found, "the page embeds no dashboard-data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def analysis_sql(name: str) -> str:
    """A dbt analysis with ``ref('x')`` read as the published ``gold.x``."""
    text = _REF.sub(lambda match: f"gold.{match.group(1)}", (ANALYSES_DIR / f"{name}.sql").read_text())
    assert "{{" not in text and "{%" not in text, f"analysis {name} needs more than ref() to render"
    return text
