"""``lakehouse package``: the artifacts the template references.

- ``lambda.zip``: the project's packages and the few pure dependencies the handlers import
  (Powertools, pydantic-settings, PyYAML), copied from the installed environment. pyarrow (and numpy)
  come from the AWS SDK for pandas managed layer the functions attach: AWS builds and patches it for
  Lambda's platform, it is a zip like ours (no container registry or Docker build in the deploy), and
  it keeps our artifact small. No duckdb or pyspark is packaged: no handler imports them.
- the project wheel, carrying ``dbt_project/`` (with ``profiles.yml``) at the paths the dbt runner
  resolves (beside the packages) and the positional layouts as package data. Its requirements leave
  out what Glue provides (Spark) and the local engine (DuckDB, dbt-duckdb); dbt-core and dbt-athena
  are added by the template only to the jobs that run dbt, all through ``--additional-python-modules``.
- ``glue_jobs/*.py``: the entry points Glue runs as ``ScriptLocation``.

Everything is built offline from the current environment, for the project's Python (3.11, x86_64
manylinux wheels), which is the Lambda runtime and Glue 5.0's Python. ``manifest.json`` records
each artifact's size and digest and the content hash that becomes the artifacts' key prefix, so an
unchanged build deploys as no change.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("core", "ingestion", "serving", "jobs", "lambdas", "orchestration", "glue_jobs")
LAMBDA_PACKAGES = ("core", "ingestion", "jobs", "lambdas")
LAMBDA_REQUIREMENTS = ("aws-lambda-powertools", "pydantic-settings", "PyYAML")
# In the Lambda python3.11 runtime (boto3 and its dependencies) or in the managed layer.
PROVIDED_TO_LAMBDA = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six", "pyarrow", "numpy", "pandas"}
)
NEVER_IN_LAMBDA = frozenset({"duckdb", "pyspark", "dbt-core", "dbt-duckdb", "dbt-athena-community"})
# Requirements the wheel does not carry to Glue: Spark is Glue's own; DuckDB is the local engine.
# The local engine and the offline tooling (sandbox, dashboard bundle) never run on AWS.
LOCAL_ONLY_REQUIREMENTS = frozenset(
    {"pyspark", "duckdb", "duckdb-ext-httpfs", "dbt-duckdb", "moto", "sqlglot", "vl-convert-python"}
)
DBT_REQUIREMENTS = frozenset({"dbt-core", "dbt-athena-community"})
DBT_DATA_EXCLUDED = ("target", "logs", "dbt_packages")

# Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
LAMBDA_ZIPPED_LIMIT = 50 * 1024**2  # direct upload
LAMBDA_UNZIPPED_LIMIT = 250 * 1024**2  # function code and all its layers
# Budget left for the managed layer: an assumption to check against the layer actually attached
# (``aws lambda get-layer-version-by-arn`` gives only the zipped size; the layer itself must fit
# 250 MB with room for a function, which is what AWS builds it for).
MANAGED_LAYER_BUDGET = 200 * 1024**2


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def project_wheel_name() -> str:
    project = _pyproject()["project"]
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def project_dbt_requirements() -> list[str]:
    """The dbt pins of pyproject, for the Glue jobs that run dbt on Athena."""
    return sorted(item for item in _pyproject()["project"]["dependencies"] if _name(item) in DBT_REQUIREMENTS)


def _distribution_closure(roots: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions ``roots`` need (extras and environment markers not taken)."""
    seen: dict[str, metadata.Distribution] = {}
    pending = list(roots)
    while pending:
        name = _name(pending.pop())
        if name in seen or name in PROVIDED_TO_LAMBDA:
            continue
        distribution = metadata.distribution(name)
        seen[name] = distribution
        pending.extend(
            requirement for requirement in distribution.requires or [] if ";" not in requirement
        )
    return sorted(seen.values(), key=lambda item: _name(item.metadata["Name"]))


def _packable(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix != ".pyc"


def _project_files(packages: tuple[str, ...]) -> list[tuple[Path, str]]:
    found = []
    for package in packages:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            if path.is_file() and _packable(path) and path.suffix in {".py", ".yml", ".yaml", ".json", ".html", ".js", ".css"}:
                found.append((path, path.relative_to(REPO_ROOT).as_posix()))
    return found


def _write_zip(target: Path, files: list[tuple[Path, str]]) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for source, name in sorted(files, key=lambda item: item[1]):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # same inputs, same bytes
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes())


def build_lambda_zip(target: Path) -> list[str]:
    """Writes the Lambda artifact; returns the third-party distributions it carries."""
    files = _project_files(LAMBDA_PACKAGES)
    distributions = _distribution_closure(LAMBDA_REQUIREMENTS)
    for distribution in distributions:
        name = _name(distribution.metadata["Name"])
        if name in NEVER_IN_LAMBDA:
            raise RuntimeError(f"{name} must not be packaged into a Lambda")
        for file in distribution.files or []:
            path = Path(str(distribution.locate_file(file)))
            if path.is_file() and _packable(path) and ".." not in file.parts:
                files.append((path, file.as_posix()))
    _write_zip(target, files)
    return [f"{item.metadata['Name']}=={item.version}" for item in distributions]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _wheel_metadata(project: dict[str, Any]) -> str:
    """Core metadata; Requires-Dist leaves out what Glue provides and the local engine (module doc)."""
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3.11')}",
    ]
    excluded = LOCAL_ONLY_REQUIREMENTS | DBT_REQUIREMENTS
    lines += [f"Requires-Dist: {item}" for item in project["dependencies"] if _name(item) not in excluded]
    return "\n".join(lines) + "\n"


def _wheel_sources() -> list[tuple[Path, str]]:
    """The packages and package data pyproject declares and dbt_project/ (with its profiles.yml) beside them
    (where ``jobs.dbt`` looks for them, relative to the installed packages)."""
    files = _project_files(PROJECT_PACKAGES)
    files += [(path, path.relative_to(REPO_ROOT).as_posix()) for path in _dbt_project_files()]
    return files


def build_wheel(out_dir: Path) -> Path:
    """A pure-Python wheel written directly (reproducible: fixed timestamps, sorted entries)."""
    project = _pyproject()["project"]
    dist_info = f"{project['name']}-{project['version']}.dist-info"
    entries = [(name, path.read_bytes()) for path, name in _wheel_sources()]
    scripts = "".join(f"{name} = {target}\n" for name, target in project.get("scripts", {}).items())
    entries += [
        (f"{dist_info}/METADATA", _wheel_metadata(project).encode()),
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: lakehouse-package\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{dist_info}/entry_points.txt", f"[console_scripts]\n{scripts}".encode()),
        (f"{dist_info}/top_level.txt", "".join(f"{name}\n" for name in PROJECT_PACKAGES).encode()),
    ]
    target = out_dir / project_wheel_name()
    records = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            records.append(_record_line(name, data))
        records.append(f"{dist_info}/RECORD,,")
        archive.writestr(zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=(1980, 1, 1, 0, 0, 0)), "\n".join(records) + "\n")
    return target


def _dbt_project_files() -> list[Path]:
    root = REPO_ROOT / "dbt_project"
    return [
        path
        for path in sorted(root.rglob("*"))
        if path.is_file() and _packable(path) and path.relative_to(root).parts[0] not in DBT_DATA_EXCLUDED
    ]


@dataclass(frozen=True)
class Artifact:
    name: str  # key below the artifact prefix
    path: Path
    size: int
    unzipped_size: int | None
    sha256: str


def _artifact(out_dir: Path, path: Path) -> Artifact:
    data = path.read_bytes()
    unzipped = None
    if path.suffix in {".zip", ".whl"}:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    return Artifact(path.relative_to(out_dir).as_posix(), path, len(data), unzipped, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class Package:
    out_dir: Path
    artifacts: tuple[Artifact, ...]
    lambda_distributions: tuple[str, ...]

    @property
    def prefix(self) -> str:
        """The artifacts' key prefix: a digest of their contents."""
        digest = hashlib.sha256("".join(f"{a.name}={a.sha256};" for a in self.artifacts).encode()).hexdigest()
        return f"lakehouse/{digest[:16]}"

    def artifact(self, name: str) -> Artifact:
        return next(item for item in self.artifacts if item.name == name)

    def manifest(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "wheel": project_wheel_name(),
            "lambda_distributions": list(self.lambda_distributions),
            "artifacts": {
                item.name: {"bytes": item.size, "unzipped_bytes": item.unzipped_size, "sha256": item.sha256}
                for item in self.artifacts
            },
        }


def build_package(out_dir: Path) -> Package:
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("lambda.zip", project_wheel_name(), "glue_jobs"):
        path = out_dir / stale
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    distributions = build_lambda_zip(out_dir / "lambda.zip")
    paths = [out_dir / "lambda.zip", build_wheel(out_dir)]
    (out_dir / "glue_jobs").mkdir()
    for script in sorted((REPO_ROOT / "glue_jobs").glob("*.py")):
        if "def main(" in script.read_text(encoding="utf-8"):  # entry points; helpers travel in the wheel
            paths.append(Path(shutil.copy2(script, out_dir / "glue_jobs" / script.name)))
    package = Package(out_dir, tuple(_artifact(out_dir, path) for path in paths), tuple(distributions))
    (out_dir / "manifest.json").write_text(json.dumps(package.manifest(), indent=2) + "\n", encoding="utf-8")
    return package
