"""What the stack deploys, read from the code: the ONE place that couples the AWS definition to the
project's functions, jobs, schedules and day workflows.

Everything else under ``orchestration/aws`` turns these declarations into CloudFormation, artifacts
and tests. When the source registry lands (``core/registry.py``), only this module changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingestion import lake
from ingestion.client_health.contract import SOURCE as CLIENT_HEALTH
from ingestion.partner_csv.contract import SOURCE as PARTNER_CSV
from ingestion.positional.converter import SOURCE as POSITIONAL
from ingestion.settings import Settings
from orchestration.schedules import SCHEDULES, Schedule

END_OF_DAY = "end-of-day"


@dataclass(frozen=True)
class LakeAccess:
    """Key prefixes of the lake bucket a role reads and writes (``gold`` means ``gold/*``)."""

    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogAccess:
    """Glue Data Catalog databases a role reads and writes (tables and partitions included)."""

    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str  # suffix of the function name: <stack>-<name>
    handler: str  # module.function inside the Lambda artifact
    landing_prefix: str | None  # S3 ObjectCreated under this prefix invokes it; None: invoked by a schedule
    lake: LakeAccess
    starts_jobs: tuple[str, ...] = ()  # Glue job names it starts directly
    starts_workflows: tuple[str, ...] = ()  # day workflows (state machines) it starts
    secrets: tuple[str, ...] = ()  # Settings field names of secret ids it resolves
    timeout_seconds: int = 60
    memory_mb: int = 512


@dataclass(frozen=True)
class GlueJob:
    logical_id: str
    name: str
    script: str  # entry point path in the repo; uploaded as an artifact, run by Glue as ScriptLocation
    lake: LakeAccess
    catalog: CatalogAccess
    secrets: tuple[str, ...] = ()  # Settings field names of secret ids, passed as --<name> arguments
    needs_network: bool = False  # reaches a database in the VPC through the Glue Connection
    uses_athena: bool = False  # runs queries in the pipeline workgroup (dbt-athena)
    additional_modules: tuple[str, ...] = ()  # besides the project wheel
    workers: int = 2


@dataclass(frozen=True)
class Step:
    """One state of a day workflow: run a Glue job (``.sync``) with these arguments.

    Values starting with ``$.`` are read from the execution input (``{"day": ..., ...}``)."""

    name: str
    job: str  # Glue job name
    arguments: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Workflow:
    """A Step Functions state machine. ``key`` is the job name a launcher asks for; the execution is
    named ``<key>-<day>`` so a second start of the same day is refused by Step Functions itself."""

    logical_id: str
    key: str
    stages: tuple[tuple[Step, ...], ...]  # stages run in order; the steps of one stage run in parallel
    input_fields: tuple[str, ...] = ("day",)


@dataclass(frozen=True)
class ScheduledTarget:
    schedule: Schedule
    function: str | None = None  # logical id of the Lambda it invokes
    job: str | None = None  # or the Glue job it starts
    workflow: str | None = None  # the workflow key, passed to the function as ``{"job": key}``


@dataclass(frozen=True)
class Components:
    functions: tuple[Function, ...]
    jobs: tuple[GlueJob, ...]
    workflows: tuple[Workflow, ...]
    schedules: tuple[ScheduledTarget, ...]

    def job(self, name: str) -> GlueJob:
        return next(job for job in self.jobs if job.name == name)

    def workflow(self, key: str) -> Workflow:
        return next(workflow for workflow in self.workflows if workflow.key == key)


DBT_BUILD = "dbt-build"
PUBLISH = "publish"
# What dbt reads and writes on Athena: bronze in, silver and the audited gold build out.
_DBT_LAKE = LakeAccess(read=(lake.BRONZE, lake.SILVER, "gold_build"), write=(lake.SILVER, "gold_build"))
_DBT_CATALOG = CatalogAccess(read=("bronze", "silver", "gold_build"), write=("silver", "gold_build"))


def _manifests(source: str) -> str:
    return f"{lake.REPORTS}/manifests/{source}"


def _gates(source: str) -> str:
    return f"{lake.REPORTS}/gates/{source}"


def deployed_components(settings: Settings) -> Components:
    """Every function, job, workflow and schedule the stack deploys, from today's modules."""
    functions = (
        Function(
            "PartnerCsvLanded",
            "partner-csv-landed",
            "lambdas.partner_csv_landed.handler.handler",
            f"{lake.LANDING}/sftp/",
            LakeAccess(
                read=(f"{lake.LANDING}/sftp", _manifests(PARTNER_CSV)),
                write=(f"{lake.LANDING}/sftp", f"{lake.QUARANTINE}/{PARTNER_CSV}", _manifests(PARTNER_CSV)),
            ),
            starts_jobs=(settings.glue_job_partner_csv,),
        ),
        Function(
            "PositionalToParquet",
            "positional-to-parquet",
            "lambdas.positional_to_parquet.handler.handler",
            f"{lake.LANDING}/positional/",
            LakeAccess(
                read=(f"{lake.LANDING}/positional", _manifests(POSITIONAL), _gates(POSITIONAL)),
                write=(
                    f"{lake.BRONZE}/{POSITIONAL}",
                    f"{lake.QUARANTINE}/{POSITIONAL}",
                    _manifests(POSITIONAL),
                    _gates(POSITIONAL),
                ),
            ),
            starts_workflows=(settings.glue_job_positional,),
            timeout_seconds=900,
            memory_mb=1024,
        ),
        Function(
            "ClientFilesLanded",
            "client-files-landed",
            "lambdas.client_files_landed.handler.handler",
            f"{lake.LANDING}/{CLIENT_HEALTH}/",
            LakeAccess(
                read=(f"{lake.LANDING}/{CLIENT_HEALTH}", _manifests(CLIENT_HEALTH), _gates(CLIENT_HEALTH)),
                write=(f"{lake.QUARANTINE}/{CLIENT_HEALTH}", _manifests(CLIENT_HEALTH), _gates(CLIENT_HEALTH)),
            ),
            starts_workflows=(settings.glue_job_client_health,),
        ),
        Function(
            "SlaCheck",
            "sla-check",
            "lambdas.sla_check.handler.handler",
            None,
            LakeAccess(read=(f"{lake.REPORTS}/jobs/{POSITIONAL}", _gates(POSITIONAL))),
        ),
        Function(
            "StartDayWorkflow",
            "start-day-workflow",
            "lambdas.start_day_workflow.handler.handler",
            None,
            LakeAccess(),
            starts_workflows=(END_OF_DAY,),
        ),
    )
    jobs = (
        GlueJob(
            "PartnerCsvToBronze",
            settings.glue_job_partner_csv,
            "glue_jobs/partner_csv_to_bronze.py",
            LakeAccess(
                read=(f"{lake.LANDING}/sftp", _manifests(PARTNER_CSV)),
                write=(f"{lake.BRONZE}/{PARTNER_CSV}", f"{lake.QUARANTINE}/{PARTNER_CSV}", _manifests(PARTNER_CSV)),
            ),
            CatalogAccess(write=("bronze",)),
        ),
        GlueJob(
            "ClientHealthToBronze",
            settings.glue_job_client_health,
            "glue_jobs/client_health_to_bronze.py",
            LakeAccess(
                read=(f"{lake.LANDING}/{CLIENT_HEALTH}", _manifests(CLIENT_HEALTH)),
                write=(
                    f"{lake.BRONZE}/{CLIENT_HEALTH}",
                    f"{lake.QUARANTINE}/{CLIENT_HEALTH}",
                    _manifests(CLIENT_HEALTH),
                ),
            ),
            CatalogAccess(write=("bronze",)),
            secrets=("pseudonym_key_secret_id",),
        ),
        GlueJob(
            "AuroraExtract",
            settings.glue_job_aurora,
            "glue_jobs/aurora_extract.py",
            LakeAccess(read=(_manifests("aurora"),), write=(f"{lake.BRONZE}/aurora", _manifests("aurora"))),
            CatalogAccess(write=("bronze",)),
            secrets=("aurora_secret_id",),
            needs_network=True,
            additional_modules=("psycopg[binary]>=3.1,<4", "PyMySQL>=1.1,<2"),
        ),
        GlueJob(
            "PositionalDay",
            settings.glue_job_positional,
            "glue_jobs/positional_day.py",
            LakeAccess(
                read=(*_DBT_LAKE.read, lake.GOLD, f"{lake.REPORTS}/jobs/{POSITIONAL}"),
                write=(*_DBT_LAKE.write, lake.GOLD, f"{lake.REPORTS}/jobs/{POSITIONAL}"),
            ),
            CatalogAccess(read=(*_DBT_CATALOG.read, "gold"), write=(*_DBT_CATALOG.write, "gold")),
            secrets=("opensearch_secret_id",),
            needs_network=True,
            uses_athena=True,
        ),
        GlueJob(
            "DbtBuild",
            DBT_BUILD,
            "glue_jobs/dbt_build.py",
            _DBT_LAKE,
            _DBT_CATALOG,
            secrets=("pseudonym_key_secret_id",),
            uses_athena=True,
        ),
        GlueJob(
            "Publish",
            PUBLISH,
            "glue_jobs/publish.py",
            LakeAccess(read=("gold_build", lake.GOLD), write=(lake.GOLD,)),
            CatalogAccess(read=("gold_build", "gold"), write=("gold",)),
            secrets=("mysql_secret_id", "opensearch_secret_id"),
            needs_network=True,
            uses_athena=True,
        ),
    )
    workflows = (
        Workflow(
            "PositionalDayWorkflow",
            settings.glue_job_positional,
            ((Step("PositionalDay", settings.glue_job_positional, {"--day": "$.day"}),),),
        ),
        Workflow(
            "ClientHealthDayWorkflow",
            settings.glue_job_client_health,
            (
                (
                    Step(
                        "ClientHealthToBronze",
                        settings.glue_job_client_health,
                        {"--day": "$.day", "--ingested_at": "$.ingested_at"},
                    ),
                ),
                (Step("DbtBuild", DBT_BUILD, {"--day": "$.day", "--select": "+client_health"}),),
                (Step("PublishGold", PUBLISH, {"--day": "$.day", "--target": "gold"}),),
            ),
            input_fields=("day", "ingested_at"),
        ),
        Workflow(
            "EndOfDayWorkflow",
            END_OF_DAY,
            (
                (Step("DbtBuild", DBT_BUILD, {"--day": "$.day", "--select": "*"}),),
                (Step("PublishGold", PUBLISH, {"--day": "$.day", "--target": "gold"}),),
                (
                    Step("PublishMysql", PUBLISH, {"--day": "$.day", "--target": "mysql"}),
                    Step("PublishOpenSearch", PUBLISH, {"--day": "$.day", "--target": "opensearch"}),
                ),
            ),
        ),
    )
    targets = {
        "aurora_extract": ScheduledTarget(_schedule("aurora_extract"), job=settings.glue_job_aurora),
        "positional_sla_check": ScheduledTarget(_schedule("positional_sla_check"), function="SlaCheck"),
        "run": ScheduledTarget(_schedule("run"), function="StartDayWorkflow", workflow=END_OF_DAY),
    }
    return Components(functions, jobs, workflows, tuple(targets[item.job] for item in SCHEDULES))


def _schedule(job: str) -> Schedule:
    return next(item for item in SCHEDULES if item.job == job)
