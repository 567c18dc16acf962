"""Smoke run of the benchmark (benchmarks/run.py): one month of region demo data, every implementation once.

It proves the benchmark runs and reports; it asserts no timing (the benchmark is a measurement, not a
test). Left out to stay quick: the incremental case and the fresh-clone install (minutes each).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    tmp = tmp_path_factory.mktemp("bench")
    out, results = tmp / "benchmark.md", tmp / "results"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIJKBEELD_", "DAGSTER_"))}
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run.py"),
            "--scale=region",
            "--start=2025-12",
            "--end=2025-12",
            "--skip=incremental,clone",
            "--defs-repeats=1",
            f"--work={tmp / 'work'}",
            f"--out={out}",
            f"--results={results}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads((results / "region.json").read_text()), out.read_text()


def test_every_stage_ran_and_succeeded(bench: tuple[dict, str]) -> None:
    results, _ = bench
    stages = results["stages"]
    for name in ("generate", "baseline", "pandas", "full"):
        assert stages[name]["exit_code"] == 0, name
        assert stages[name]["wall_seconds"] > 0 and stages[name]["peak_rss_kib"] > 0, name
    assert stages["defs"][0]["exit_code"] == 0 and stages["defs"][0]["seconds"] > 0
    # (b) and (c) computed the same indicator grid, and it is not empty.
    assert stages["baseline"]["result_rows"] == stages["pandas"]["result_rows"] > 0


def test_full_refresh_published_and_its_steps_were_read(bench: tuple[dict, str]) -> None:
    full = bench[0]["stages"]["full"]
    dagster = full["dagster"]
    assert dagster["status"] == "SUCCESS"
    kinds = {step["kind"] for step in dagster["steps"]}
    assert {"ingest", "dbt", "quality_gate", "publish"} <= kinds
    assert dagster["ingest_rows"]["raw_politie__misdrijven"]["rows_accepted"] > 0
    assert dagster["warehouse_rows"]["mart.fct_indicator_waarde"] > 0


def test_report_has_the_figures(bench: tuple[dict, str]) -> None:
    _, report = bench
    for heading in ("## Region scale", "### The three implementations", "### Per stage", "full/(b) ="):
        assert heading in report
    assert "| ingest raw_gemeente__meldingen" in report
