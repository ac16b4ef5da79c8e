# Two commands on a fresh clone: `make run` (setup + demo) and `make test` (the tests but the slow
# end-to-end ones, which `make test-slow` runs; CI runs both).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LAKE ?= lake
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: run setup query docs test test-slow lint bench clean check-java

$(BIN)/lakehouse: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/lakehouse

check-java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Java 17 is needed for the local Spark that stands in for Glue."; \
	  echo "  Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless"; \
	  echo "  macOS:         brew install openjdk@17"; \
	  exit 2; }

run: setup check-java
	$(BIN)/lakehouse demo --lake $(LAKE)
	@echo
	@echo "Dashboard:  $(LAKE)/reports/dashboard.html (opens from disk; or $(BIN)/lakehouse dashboard --lake $(LAKE))"
	@echo "Run report: $$(ls -t $(LAKE)/reports/run-*.json | head -n 1)"
	@echo "Gold:       $(LAKE)/gold/ (Parquet); query it with"
	@echo "  make query SQL='select * from gold.salary_averages limit 10'"
	@echo "  $(BIN)/lakehouse query --lake $(LAKE) 'select * from gold.salary_averages limit 10'"

# SQL against the lake's catalog without activating the venv: make query SQL='select ...'
SQL ?= select * from gold.salary_averages limit 10
query: setup
	$(BIN)/lakehouse query --lake $(LAKE) "$(SQL)"

# The dbt docs site as one file that opens from disk.
docs: setup
	$(BIN)/lakehouse docs --lake $(LAKE)

# The fast set (a few minutes) and the end-to-end runs marked `slow` (demo days, dbt builds on the
# sandbox, the AWS path); `.ci/run` runs both, so CI never skips a slow test.
test: setup
	$(BIN)/pytest -q -m "not slow"

test-slow: setup
	$(BIN)/pytest -q -m slow

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy core ingestion serving jobs orchestration lambdas glue_jobs sandbox
	$(BIN)/sqlfluff lint dbt_project/models --ignore templating

bench: setup check-java
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(LAKE) bench-out .pytest_cache .mypy_cache .ruff_cache
