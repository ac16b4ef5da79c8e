"""README.md against the code: every `lakehouse` command and option, every LAKEHOUSE_ setting, and nothing
that does not exist.

Read from the command itself (the Typer app's command tree, as `--help` shows it) and from
``core.settings.Settings``, so a new command, option or setting fails here until README has a line for it.
README documents a command with a synopsis line in code (a fenced block or an inline span) that starts
with ``lakehouse <command> [<subcommand>]`` (``a|b`` names several); every option of the command must be
on one of its synopsis lines. Options that every command takes may instead be named once, in code, in a
sentence that starts "Every command takes".
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer

from core.settings import Settings
from orchestration.cli import app

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
WORD = re.compile(r"^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$")
INVOCATION = re.compile(r"^(?:\S*/)?lakehouse(?:\s+(.*))?$")  # `lakehouse ...` or `.venv/bin/lakehouse ...`
ALWAYS_ALLOWED = {"--help"}


@dataclass
class Command:
    path: tuple[str, ...]
    options: set[str]
    subcommands: dict[str, Command] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return " ".join(("lakehouse", *self.path))


def _command_tree(command: Any, path: tuple[str, ...] = ()) -> Command:
    """The Typer/click tree (duck-typed: Typer vendors its own click)."""
    options = {opt for param in command.params if param.param_type_name == "option" and not param.hidden
               for opt in param.opts if opt.startswith("--")}
    node = Command(path, options)
    for name, sub in getattr(command, "commands", {}).items():
        if not getattr(sub, "hidden", False):
            node.subcommands[name] = _command_tree(sub, (*path, name))
    return node


def _walk(node: Command) -> Iterator[Command]:
    yield node
    for sub in node.subcommands.values():
        yield from _walk(sub)


def code_lines(markdown: str) -> list[str]:
    """Every line of a fenced code block and every inline code span, comments (`  # ...`) cut off."""
    lines: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            lines.append(re.sub(r"\s+#\s.*$", "", line).strip())
        else:
            lines.extend(span.strip() for span in re.findall(r"`([^`]+)`", line))
    return lines


@dataclass
class Synopsis:
    line: str
    commands: list[Command]
    options: set[str]
    unknown: list[str]  # command words that name no command


def synopses(markdown: str, root: Command) -> list[Synopsis]:
    """Each code line that invokes `lakehouse`, resolved to the command(s) it names."""
    found = []
    for line in code_lines(markdown):
        match = INVOCATION.match(line)
        if match is None:
            continue
        tokens = (match.group(1) or "").split()
        nodes, unknown, index = [root], [], 0
        while index < len(tokens) and WORD.match(tokens[index]) and any(node.subcommands for node in nodes):
            names = tokens[index].split("|")
            unknown += [f"{node.name} {name}" for node in nodes for name in names if name not in node.subcommands]
            nodes = [node.subcommands[name] for node in nodes for name in names if name in node.subcommands]
            index += 1
        found.append(Synopsis(line, nodes, set(OPTION.findall(" ".join(tokens[index:]))), unknown))
    return found


def common_options(markdown: str) -> set[str]:
    """Options named in code in a sentence starting "Every command takes" (they count for every command)."""
    sentences = re.findall(r"Every command takes[^.]*", " ".join(markdown.split()))
    return {option for sentence in sentences for span in re.findall(r"`([^`]+)`", sentence)
            for option in OPTION.findall(span)}


def undocumented(markdown: str, root: Command) -> list[str]:
    found = synopses(markdown, root)
    common = common_options(markdown)
    problems = []
    for node in _walk(root):
        if node.subcommands and not node.options:
            continue  # a group without options of its own is documented through its commands
        lines = [synopsis for synopsis in found if node in synopsis.commands]
        if not lines and node.path:
            problems.append(f"`{node.name}` has no synopsis line in README")
            continue
        documented = set().union(*(synopsis.options for synopsis in lines)) | common
        problems += [f"`{node.name} {option}` is not in README" for option in sorted(node.options - documented)]
    return problems


def nonexistent(markdown: str, root: Command) -> list[str]:
    problems = []
    for synopsis in synopses(markdown, root):
        problems += [f"README names `{name}`, which is no command (line: {synopsis.line})" for name in synopsis.unknown]
        for node in synopsis.commands:
            extra = synopsis.options - node.options - ALWAYS_ALLOWED
            problems += [f"README gives `{node.name}` the option {option}, which it does not take" for option in sorted(extra)]
    return problems


def settings_variables() -> set[str]:
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    return {f"{prefix}{name.upper()}" for name in Settings.model_fields}


def dbt_variables() -> set[str]:
    """LAKEHOUSE_ variables the dbt profiles and project read themselves (env_var('LAKEHOUSE_...'))."""
    files = [*REPO_ROOT.glob("profiles.yml"), *(REPO_ROOT / "dbt_project").rglob("*.yml"), *(REPO_ROOT / "dbt_project").rglob("*.sql")]
    return {name for path in files for name in re.findall(r"env_var\(\s*['\"](LAKEHOUSE_[A-Z0-9_]+)", path.read_text())}


@pytest.fixture(scope="module")
def root() -> Command:
    return _command_tree(typer.main.get_command(app))


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text()


def test_every_command_and_option_is_in_readme(readme: str, root: Command) -> None:
    problems = undocumented(readme, root)
    assert not problems, "add to README's command synopsis:\n" + "\n".join(problems)


def test_readme_names_no_command_or_option_that_does_not_exist(readme: str, root: Command) -> None:
    problems = nonexistent(readme, root)
    assert not problems, "\n".join(problems)


def test_every_setting_is_in_readme_and_readme_names_no_other_variable(readme: str) -> None:
    named = set(re.findall(r"\bLAKEHOUSE_[A-Z0-9_]*[A-Z0-9]\b", readme))
    missing = sorted(settings_variables() - named)
    assert not missing, f"add to README's Configuration table: {', '.join(missing)}"
    unknown = sorted(named - settings_variables() - dbt_variables())
    assert not unknown, f"README names variables nothing reads: {', '.join(unknown)}"


def test_the_checks_catch_a_missing_command_a_missing_option_and_an_invented_one(root: Command) -> None:
    """The checks themselves, on a README that gets three things wrong (and one right, by the common rule)."""
    leaves = [node for node in _walk(root) if not node.subcommands]
    lines = [f"lakehouse {' '.join(node.path)} {' '.join(sorted(node.options - {'--lake'}))}" for node in leaves[1:]]
    markdown = "\n".join(
        [
            "Every command takes `--lake DIR`.",
            "```sh",
            *lines,
            "lakehouse run --no-such-option",
            "lakehouse no-such-command",
            "lakehouse --install-completion | --show-completion",
            "```",
        ]
    )
    assert undocumented(markdown, root) == [f"`{leaves[0].name}` has no synopsis line in README"]
    assert nonexistent(markdown, root) == [
        "README gives `lakehouse run` the option --no-such-option, which it does not take",
        "README names `lakehouse no-such-command`, which is no command (line: lakehouse no-such-command)",
    ]
    without_common = markdown.replace("Every command takes `--lake DIR`.", "")
    assert f"`{leaves[1].name} --lake` is not in README" in undocumented(without_common, root)


def test_readme_points_to_the_design_inside_the_repository(readme: str) -> None:
    assert "](docs/DESIGN.md)" in readme and "../shared" not in readme
    assert (REPO_ROOT / "docs" / "DESIGN.md").is_file()


def test_make_run_ends_by_naming_the_dashboard_and_the_report_and_make_query_needs_no_venv() -> None:
    def dry_run(*arguments: str) -> str:
        completed = subprocess.run(
            ["make", "-n", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
        return completed.stdout

    run = dry_run("run", "LAKE=somewhere")
    closing = run[run.index("lakehouse demo --lake somewhere"):]
    assert "somewhere/reports/dashboard.html" in closing
    assert "somewhere/reports/run-*.json" in closing
    assert ".venv/bin/lakehouse query --lake somewhere" in closing
    assert '.venv/bin/lakehouse query --lake somewhere "select 1"' in dry_run("query", "LAKE=somewhere", "SQL=select 1")
