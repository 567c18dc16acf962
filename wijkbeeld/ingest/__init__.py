"""The ingest engine: partner extracts in landing -> raw and meta tables of the warehouse (docs/ingest.md)."""
