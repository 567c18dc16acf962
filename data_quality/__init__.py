"""The quality gate of the mart (Great Expectations on DuckDB measurements).

Entry points: ``data_quality.gate.run_gate`` / ``validate_table`` and, for Dagster,
``data_quality.checks.build_quality_checks``. Nothing heavy is imported here.
"""
