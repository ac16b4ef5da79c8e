"""Renders this project's dbt macros outside dbt, for one adapter, to test their SQL directly and quickly.

Only what the macros use is provided: ``adapter.dispatch`` (``<adapter>__name`` then ``default__name``)
and ``return``. A macro that needs more of dbt fails loudly here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

MACROS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "macros"
# The client-health macros and what they call; other files may use dbt-only tags.
MACRO_FILES = (
    "regex_portability.sql",
    "remove_accents.sql",
    "mask.sql",
    "cpf.sql",
    "client_health_parsing.sql",
    "client_health_tests.sql",
)


class _Adapter:
    def __init__(self, name: str) -> None:
        self.name = name
        self.module: Any = None

    def dispatch(self, macro_name: str, macro_namespace: str | None = None) -> Any:
        for candidate in (f"{self.name}__{macro_name}", f"default__{macro_name}"):
            if hasattr(self.module, candidate):
                return getattr(self.module, candidate)
        raise AttributeError(f"no {macro_name} for {self.name}")


def macros(adapter: str) -> Any:
    """The client-health macros as attributes of one module, rendered for ``adapter``."""
    source = "\n".join((MACROS_DIR / name).read_text() for name in MACRO_FILES)
    # Generic tests are macros too, but only dbt can render their {% test %} blocks.
    source = source.replace("{% test ", "{% macro test_").replace("{% endtest %}", "{% endmacro %}")
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    dbt_adapter = _Adapter(adapter)
    template = environment.from_string(
        source,
        globals={"adapter": dbt_adapter, "return": lambda value: value},
    )
    dbt_adapter.module = template.module
    return template.module


def sql(rendered: Any) -> str:
    return str(rendered).strip()
