"""All ingest assets and their checks, for the Dagster ``Definitions`` (orchestration imports these)."""

from assets import brandweer, cbs, corporatie, gemeente, ggd, politie

_SOURCES = (cbs, politie, brandweer, ggd, gemeente, corporatie)

INGEST_ASSETS = [a for source in _SOURCES for a in source.ASSETS]
INGEST_CHECKS = [c for source in _SOURCES for c in source.CHECKS]
