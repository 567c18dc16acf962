# wijkbeeld — the commands a user and CI run. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
export WIJKBEELD_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(WIJKBEELD_HOME)/dagster
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project

# The dbt manifest Dagster loads: parsed again whenever a model, macro, seed, test or yml changed (make test,
# make run and make ui never use a stale one; under `dagster dev` assets/transform.py runs
# scripts/prepare_dbt.py --if-stale on every reload).
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -path dbt_project/logs -prune -o \
	-type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.py' \) -print)

.PHONY: install run test test-fast lint ui bench clean-data manifest

install: $(STAMP) $(MANIFEST)

manifest: $(MANIFEST)

$(MANIFEST): $(DBT_SOURCES) $(STAMP)
	$(BIN)/python scripts/prepare_dbt.py

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

run: install manifest
	$(BIN)/wijkbeeld run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models --processes 2

# All three tiers (tests/unit, tests/integration, tests/faults); what CI runs.
test: lint
	bash scripts/ensure_chromium.sh
	bash scripts/pytest.sh

# The inner loop: the unit tier only (no refresh, under a minute).
test-fast: install
	bash scripts/pytest.sh tests/unit

ui: install manifest
	@mkdir -p -m 700 $(DAGSTER_HOME) && (test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 1\n' > $(DAGSTER_HOME)/dagster.yaml)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(BIN)/python benchmarks/run.py

clean-data:
	rm -rf $(WIJKBEELD_HOME)
