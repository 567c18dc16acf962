"""All ingest assets and their checks, for the Dagster ``Definitions`` (orchestration imports these)."""

from assets import cbs, gemeente, politie

INGEST_ASSETS = [*cbs.ASSETS, *politie.ASSETS, *gemeente.ASSETS]
INGEST_CHECKS = [*cbs.CHECKS, *politie.CHECKS, *gemeente.CHECKS]
