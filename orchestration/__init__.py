"""Dagster assembly: definitions, jobs, schedules, sensors and resources (no business logic here)."""
