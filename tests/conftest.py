from __future__ import annotations

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

pytest_plugins = ["tests.support.moto", "tests.support.spark", "tests.support.sandbox", "tests.support.demo"]
