from __future__ import annotations

import os

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

pytest_plugins = ["tests.support.moto", "tests.support.spark", "tests.support.sandbox", "tests.support.demo"]

# Long tests marked here rather than in their files (files other work is changing); a test file may also
# say `@pytest.mark.slow` itself. `make test` leaves them out; `make test-slow` and CI run them.
SLOW_TESTS: dict[str, str] = {
    "tests/partner_csv/test_spark_recovery.py::test_a_dead_jvm_fails_its_job_and_the_next_job_gets_a_fresh_session": (
        "a child process starting two Spark JVMs"
    ),
    "tests/partner_csv/test_job.py::test_line_numbers_stay_exact_across_many_splits": "dozens of Spark tasks",
    "tests/partner_csv/test_job.py::test_a_field_over_the_size_limit_quarantines_its_row": "a 50 MB field through Spark",
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.split("[", 1)[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
