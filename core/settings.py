"""Configuration read from the environment (prefix ``LAKEHOUSE_``) or a ``.env`` file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.calendar import today_in_sao_paulo


class Backend(StrEnum):
    LOCAL = "local"
    AWS = "aws"


class Settings(BaseSettings):
    """Everything that differs between one laptop and AWS. Business logic never reads the environment."""

    model_config = SettingsConfigDict(env_prefix="LAKEHOUSE_", env_file=".env", extra="ignore")

    backend: Backend = Backend.LOCAL
    lake: Path = Path("lake")
    # On AWS the lake is a bucket; keys below it follow the same layout as the local folder.
    bucket: str | None = None
    region: str = "us-east-1"
    glue_job_partner_csv: str = "partner-csv-to-bronze"
    glue_job_positional: str = "positional-day"
    glue_job_client_health: str = "client-health-to-bronze"
    # On AWS, job name -> ARN of the state machine that runs it as a day workflow (JSON in the environment,
    # set by the template); launchers start that workflow instead of the bare job.
    state_machines: dict[str, str] = Field(default_factory=dict)
    spark_master: str = "local[2]"
    spark_driver_memory: str = "2g"
    mysql_url: SecretStr | None = None
    mysql_secret_id: str | None = None
    opensearch_url: str | None = None
    opensearch_username: str | None = None
    opensearch_password: SecretStr | None = None
    opensearch_secret_id: str | None = None  # holds the password on AWS
    opensearch_bulk_batch_size: int = 500
    opensearch_max_retries: int = 5
    aurora_url: SecretStr | None = None
    aurora_secret_id: str | None = None
    glue_job_aurora: str = "aurora-extract"
    # JSON lists in the environment, e.g. LAKEHOUSE_AURORA_TABLES='["clientes","contratos"]'; empty = every table.
    aurora_tables: list[str] = Field(default_factory=list)
    aurora_batch_rows: int = Field(default=100_000, gt=0, description="rows per read batch and Parquet row group")
    # "table.column" removed at the source that bronze keeps as typed nulls instead of failing the table.
    aurora_accept_dropped_columns: list[str] = Field(default_factory=list)
    pseudonym_key: SecretStr | None = Field(
        default=None, description="HMAC key for client ids, kept outside the lake"
    )
    pseudonym_key_secret_id: str | None = None
    # Where a local run keeps the key it generated when none is configured; never inside the lake.
    pseudonym_key_file: Path = Path("~/.config/lakehouse/pseudonym.key")

    def for_lake(self, lake: Path | None) -> Settings:
        return self if lake is None else self.model_copy(update={"lake": lake})

    def for_bucket(self, bucket: str | None) -> Settings:
        """The settings of the lake an S3 event names (the configured bucket when it names none)."""
        return self if not bucket else self.model_copy(update={"bucket": bucket})


def default_day() -> str:
    return today_in_sao_paulo().isoformat()
