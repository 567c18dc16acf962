"""The quality gate of the mart (Great Expectations on DuckDB measurements).

Entry points: ``data_quality.gate.run_gate`` / ``validate_table``; the Dagster checks that run it are
``assets.quality.build_quality_checks``. Nothing heavy is imported here.
"""
