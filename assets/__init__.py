"""Ingest of partner extracts: data contracts (YAML), the ingest engine and its Dagster assets."""
