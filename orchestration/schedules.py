"""The nightly refresh at 02:00 Amsterdam time."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import nightly_refresh

nightly_schedule = ScheduleDefinition(
    name="nightly_refresh_0200",
    job=nightly_refresh,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=DefaultScheduleStatus.RUNNING,
)
