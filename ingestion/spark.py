"""The local SparkSession that stands in for Glue 5.0 (Spark 3.5)."""

from __future__ import annotations

import shutil
from functools import lru_cache

from pyspark.sql import SparkSession


class JavaMissingError(RuntimeError):
    pass


def require_java() -> None:
    if shutil.which("java") is None:
        raise JavaMissingError(
            "Java 17 is needed for the local Spark that stands in for Glue: "
            "install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17)"
        )


@lru_cache(maxsize=1)
def local_spark_session(master: str = "local[2]", driver_memory: str = "2g") -> SparkSession:
    require_java()
    session = (
        SparkSession.builder.master(master)
        .appName("lakehouse-local-glue")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", "-Dderby.system.home=/tmp -Dlog4j2.level=ERROR")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
