"""The layering of ARCHITECTURE.md holds: no import goes up a layer, no package imports itself in a loop,
and only entry points build Settings or touch the process environment."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Lowest first; a module may import from its own layer or a lower one.
LAYERS = {
    "core": 1,
    "ingestion": 2,
    "serving": 2,
    "jobs": 3,
    "lambdas": 4,
    "glue_jobs": 4,
    "orchestration": 5,
    "sandbox": 5,
}
ENTRY_POINTS = ("lambdas/", "glue_jobs/", "orchestration/cli.py")


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in sorted((REPO / package).rglob("*.py")) if (REPO / package).is_dir() else []:
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """Every imported module, including imports inside functions; relative imports made absolute."""
    is_package = path.name == "__init__.py"
    imported = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            imported += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            imported.append((node.lineno, base))
            imported += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return imported


def _package_of(module: str, modules: dict[str, Path]) -> str:
    """The package a module belongs to (itself when it is a package)."""
    path = modules[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0] or module


def _edges() -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> where."""
    modules = _modules()
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module, path in modules.items():
        for line, target in _imports(path, module):
            if target not in modules:
                continue  # third-party, the standard library, or a name inside a module
            source_package, target_package = _package_of(module, modules), _package_of(target, modules)
            if source_package != target_package:
                edges[(source_package, target_package)].append(f"{path.relative_to(REPO)}:{line} imports {target}")
    return edges


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = [
        where
        for (source, target), places in _edges().items()
        if LAYERS[target.split(".")[0]] > LAYERS[source.split(".")[0]]
        for where in places
    ]
    assert upward == []


def test_the_layers_of_the_project_are_all_known() -> None:
    python_roots = {path.parent.name for path in REPO.glob("*/__init__.py")}
    assert python_roots - {"tests", "bench"} <= set(LAYERS)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_package_import_cycle() -> None:
    edges = _edges()
    by_package: dict[str, set[str]] = defaultdict(set)
    by_top_level: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        by_package[source].add(target)
        if source.split(".")[0] != target.split(".")[0]:
            by_top_level[source.split(".")[0]].add(target.split(".")[0])
    assert _cycles(by_top_level) == []
    cycles = _cycles(by_package)
    assert cycles == [], [
        where for cycle in cycles for (s, t), places in edges.items() if s in cycle and t in cycle for where in places
    ]


def _python_files() -> list[Path]:
    return [path for package in LAYERS for path in sorted((REPO / package).rglob("*.py"))]


SETTINGS_BUILT = re.compile(r"(?<![\w.])Settings\(")
ENVIRONMENT_WRITTEN = re.compile(r"os\.environ\[[^\]]+\]\s*=(?!=)|os\.environ\.(update|setdefault|pop)\(|os\.putenv\(")


def test_only_entry_points_build_settings_and_nothing_writes_the_environment() -> None:
    built, written = [], []
    for path in _python_files():
        relative = str(path.relative_to(REPO))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            exempt = relative.startswith(ENTRY_POINTS)
            if SETTINGS_BUILT.search(code) and not code.lstrip().startswith("class ") and not exempt:
                built.append(f"{relative}:{number}: {line.strip()}")
            if ENVIRONMENT_WRITTEN.search(code):
                written.append(f"{relative}:{number}: {line.strip()}")
    assert built == []
    assert written == []


def test_the_checks_see_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from orchestration.cli import app\n    return app\n")
    assert (2, "orchestration.cli") in _imports(sample, "core.sample")
