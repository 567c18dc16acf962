# wijkbeeld — the commands a user and CI run. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
export WIJKBEELD_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(WIJKBEELD_HOME)/dagster
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project

.PHONY: install run test lint ui bench clean-data

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python scripts/prepare_dbt.py
	@rm -f $(VENV)/.installed-* && touch $@

run: install
	$(BIN)/wijkbeeld run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && WIJKBEELD_WAREHOUSE=$(CURDIR)/dbt_project/target/lint.duckdb ../$(BIN)/sqlfluff lint models --processes 2

test: lint
	bash scripts/ensure_chromium.sh
	bash scripts/pytest.sh

ui: install
	@mkdir -p -m 700 $(DAGSTER_HOME) && (test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 1\n' > $(DAGSTER_HOME)/dagster.yaml)
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(BIN)/python benchmarks/run.py

clean-data:
	rm -rf $(WIJKBEELD_HOME)
