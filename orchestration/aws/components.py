"""What the stack deploys, read from the code: the ONE place that couples the AWS definition to the
project's functions, jobs, schedules and day workflows.

Each source of the registry (``core.registry.SOURCES``) becomes its Lambda (handler, function name,
notification prefix), its Glue job (job name, script) and, for a gated source, its day workflow; the
roles' lake prefixes come from the source's name, landing zone and bronze tables. ``DEPLOYMENTS`` says
only what the registry does not (secrets, network, sizes, a dbt step after the job); a new source
deploys with the defaults. Everything else under ``orchestration/aws`` turns these declarations into
CloudFormation, artifacts and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core import layout as lake
from core import registry
from core.registry import Source
from core.schedules import SCHEDULES, Schedule
from core.settings import Settings

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


@dataclass(frozen=True)
class SourceDeployment:
    """How a registry source runs on AWS beyond what the registry declares; the defaults suit a source
    whose handler validates a delivered file and starts its Glue job, which writes the source's bronze."""

    # Its handler's gate starts the job as a day workflow (these execution input fields become the job's
    # arguments), not as a bare job run per file.
    day_workflow: tuple[str, ...] | None = None
    # dbt selection built (then gold published) after the job, in the same day workflow.
    dbt_select: str | None = None
    handler_writes_bronze: bool = False  # the handler itself converts to bronze
    handler_moves_landing: bool = False  # the handler moves files within its landing zone
    function_timeout_seconds: int = 60
    function_memory_mb: int = 512
    job_secrets: tuple[str, ...] = ()  # Settings fields of secret ids, passed as --<name> arguments
    job_needs_network: bool = False
    job_additional_modules: tuple[str, ...] = ()
    # The job is not a bronze loader (e.g. a day job building gold): its own access.
    job_lake: LakeAccess | None = None
    job_catalog: CatalogAccess | None = None
    job_uses_athena: bool = False


DEPLOYMENTS: dict[str, SourceDeployment] = {
    "partner_csv": SourceDeployment(handler_moves_landing=True),  # root uploads move to their day
    "client_health": SourceDeployment(
        day_workflow=("day", "ingested_at"), dbt_select="+client_health", job_secrets=("pseudonym_key_secret_id",)
    ),
    "positional": SourceDeployment(
        day_workflow=("day",),
        handler_writes_bronze=True,
        function_timeout_seconds=900,
        function_memory_mb=1024,
        job_secrets=("opensearch_secret_id",),
        job_needs_network=True,
        job_lake=LakeAccess(
            read=(*_DBT_LAKE.read, lake.GOLD, f"{lake.REPORTS}/jobs/positional"),
            write=(*_DBT_LAKE.write, lake.GOLD, f"{lake.REPORTS}/jobs/positional"),
        ),
        job_catalog=CatalogAccess(read=(*_DBT_CATALOG.read, "gold"), write=(*_DBT_CATALOG.write, "gold")),
        job_uses_athena=True,
    ),
    "aurora": SourceDeployment(
        job_secrets=("aurora_secret_id",),
        job_needs_network=True,
        job_additional_modules=("psycopg[binary]>=3.1,<4", "PyMySQL>=1.1,<2"),
    ),
}


def deployment(source: Source) -> SourceDeployment:
    return DEPLOYMENTS.get(source.name, SourceDeployment())


def _manifests(source: str) -> str:
    return f"{lake.REPORTS}/manifests/{source}"


def _gates(source: str) -> str:
    return f"{lake.REPORTS}/gates/{source}"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def _landing(source: Source) -> tuple[str, ...]:
    return () if source.landing_prefix is None else (source.landing_prefix.rstrip("/"),)


def _data_prefixes(source: Source, layer: str) -> tuple[str, ...]:
    """The ``layer/source`` prefixes the source's bronze (and quarantine) tables live under."""
    prefixes = {"/".join(table.prefix.split("/")[:2]) for table in source.declared_tables()}
    if source.discovered_bronze_tables is not None and layer == lake.BRONZE:
        prefixes.add(f"{lake.BRONZE}/{source.name}")  # named by the data: the whole source prefix
    return tuple(sorted(prefix for prefix in prefixes if prefix.startswith(f"{layer}/")))


def _function(source: Source, settings: Settings) -> Function:
    assert source.handler is not None and source.function_name is not None
    tuning = deployment(source)
    gates = (_gates(source.name),) if tuning.day_workflow is not None else ()
    job = source.glue_job_name(settings)
    return Function(
        _camel(source.function_name),
        source.function_name,
        source.handler,
        source.landing_prefix,
        LakeAccess(
            read=(*_landing(source), _manifests(source.name), *gates),
            write=(
                *(_landing(source) if tuning.handler_moves_landing else ()),
                *(_data_prefixes(source, lake.BRONZE) if tuning.handler_writes_bronze else ()),
                f"{lake.QUARANTINE}/{source.name}",
                _manifests(source.name),
                *gates,
            ),
        ),
        starts_jobs=(job,) if tuning.day_workflow is None else (),
        starts_workflows=(job,) if tuning.day_workflow is not None else (),
        timeout_seconds=tuning.function_timeout_seconds,
        memory_mb=tuning.function_memory_mb,
    )


def _job(source: Source, settings: Settings) -> GlueJob:
    tuning = deployment(source)
    loads = LakeAccess(
        read=(*_landing(source), _manifests(source.name)),
        write=(
            *_data_prefixes(source, lake.BRONZE),
            *_data_prefixes(source, lake.QUARANTINE),
            _manifests(source.name),
        ),
    )
    return GlueJob(
        _camel(source.glue_script.rsplit(".", 1)[-1]),
        source.glue_job_name(settings),
        source.glue_script_path,
        tuning.job_lake or loads,
        tuning.job_catalog or CatalogAccess(write=("bronze",)),
        secrets=tuning.job_secrets,
        needs_network=tuning.job_needs_network,
        uses_athena=tuning.job_uses_athena,
        additional_modules=tuning.job_additional_modules,
    )


def _day_workflow(source: Source, settings: Settings) -> Workflow | None:
    tuning = deployment(source)
    if tuning.day_workflow is None:
        return None
    job = source.glue_job_name(settings)
    arguments = {f"--{name}": f"$.{name}" for name in tuning.day_workflow}
    stages: list[tuple[Step, ...]] = [(Step(_camel(source.glue_script.rsplit(".", 1)[-1]), job, arguments),)]
    if tuning.dbt_select is not None:
        stages += [
            (Step("DbtBuild", DBT_BUILD, {"--day": "$.day", "--select": tuning.dbt_select}),),
            (Step("PublishGold", PUBLISH, {"--day": "$.day", "--target": "gold"}),),
        ]
    return Workflow(f"{_camel(source.name)}DayWorkflow", job, tuple(stages), input_fields=tuning.day_workflow)


def deployed_components(settings: Settings) -> Components:
    """Every function, job, workflow and schedule the stack deploys: the registry's sources, then the
    pieces that are not a source (SLA check, end of day, dbt build, publication)."""
    sources = registry.SOURCES
    functions = (
        *(_function(source, settings) for source in sources if source.handler is not None),
        Function(
            "SlaCheck",
            "sla-check",
            "lambdas.sla_check.handler.handler",
            None,
            LakeAccess(read=(f"{lake.REPORTS}/jobs/positional", _gates("positional"))),
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
        *(_job(source, settings) for source in sources),
        GlueJob(
            "DbtBuild",
            DBT_BUILD,
            "glue_jobs/dbt_build.py",
            _DBT_LAKE,
            _DBT_CATALOG,
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
        *(workflow for source in sources if (workflow := _day_workflow(source, settings)) is not None),
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
