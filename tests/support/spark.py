from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from tests.support.requirements import require_executable


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    require_executable("java", "install Java 17 (openjdk-17-jre-headless)")
    from ingestion.spark import local_spark_session

    return local_spark_session("local[2]", "2g")
