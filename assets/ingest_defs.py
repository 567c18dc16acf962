"""All ingest assets (each with its checks), for the Dagster ``Definitions`` (orchestration imports these)."""

from dagster import AssetSpec

from assets import brandweer, cbs, corporatie, gemeente, ggd, politie

_SOURCES = (cbs, politie, brandweer, ggd, gemeente, corporatie)

INGEST_ASSETS = [a for source in _SOURCES for a in source.ASSETS]

# meta.leveringen (one row per delivered file) is written by every ingest asset and read by dbt as a source; declared
# here so the UI shows it in the ingest group instead of an ungrouped external asset.
DELIVERY_LOG = AssetSpec(
    "leveringen",
    group_name="ingest",
    description="meta.leveringen: every delivered file (partner, dataset, name, SHA-256, rows accepted / rejected / "
    "unmapped, load time, archive path), written by the ingest assets; the basis of mart.herkomst.",
)
