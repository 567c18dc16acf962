#!/usr/bin/env bash
# Runs the test suite (default: every tier, see pyproject.toml) on every core: tests that share a data home run in
# one worker (tests/conftest.py: work_unit). pytest's exit code 5 (no tests collected) is a failure, not a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -n auto --dist loadscope --no-loadscope-reorder "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "ERROR: pytest collected no tests (exit code 5) - treating as failure" >&2
  exit 1
fi
exit "$rc"
