"""Assembly only: every asset, check, job, schedule, sensor and resource is built in its own module."""

from __future__ import annotations

from dagster import Definitions

from assets.ingest_defs import INGEST_ASSETS, INGEST_CHECKS
from assets.publication import publicatie
from assets.report import wijkprofiel_rapport
from assets.transform import mart_tables, wijkbeeld_dbt_assets
from data_quality.checks import build_quality_checks
from orchestration.jobs import nightly_refresh
from orchestration.resources import resources
from orchestration.schedules import nightly_schedule
from orchestration.sensors import landing_sensor

defs = Definitions(
    assets=[*INGEST_ASSETS, wijkbeeld_dbt_assets, publicatie, wijkprofiel_rapport],
    asset_checks=[*INGEST_CHECKS, *build_quality_checks(mart_tables())],
    jobs=[nightly_refresh],
    schedules=[nightly_schedule],
    sensors=[landing_sensor],
    resources=resources(),
)
