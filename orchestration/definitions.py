"""Assembly only: every asset, check, job, schedule, sensor and resource is built in its own module."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from assets.ingest_defs import DELIVERY_LOG, INGEST_ASSETS
from assets.publication import publicatie
from assets.quality import build_quality_checks
from assets.report import wijkprofiel_rapport
from assets.transform import dbt_docs, mart_tables, wijkbeeld_dbt_assets
from orchestration.jobs import PARTNER_JOBS, nightly_refresh
from orchestration.resources import resources
from orchestration.schedules import nightly_schedule
from orchestration.sensors import housekeeping_after_run, landing_sensor, notify_on_run_failure

defs = Definitions(
    assets=[*INGEST_ASSETS, DELIVERY_LOG, wijkbeeld_dbt_assets, publicatie, dbt_docs, wijkprofiel_rapport],
    asset_checks=build_quality_checks(mart_tables()),
    jobs=[nightly_refresh, *PARTNER_JOBS],
    schedules=[nightly_schedule],
    sensors=[landing_sensor, notify_on_run_failure, housekeeping_after_run],
    resources=resources(),
    # Runs launched from the asset graph too: one process per run holds the refresh lock for all its steps.
    executor=in_process_executor,
)
