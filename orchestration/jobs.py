"""Jobs. Everything runs in-process: on 2 cores the fixed cost of a process per step dominates."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

NIGHTLY_JOB_NAME = "nightly_refresh"

nightly_refresh = define_asset_job(
    name=NIGHTLY_JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest every partner dataset -> dbt -> quality gate -> publish.",
)
