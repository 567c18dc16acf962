"""Ingest assets of CBS: the reference geography (kerncijfers) and the address-to-buurt table."""

from assets.partners import build_ingest_asset

raw_cbs__kerncijfers = build_ingest_asset("cbs", "kerncijfers")
raw_cbs__adressen = build_ingest_asset("cbs", "adressen")

ASSETS = [raw_cbs__kerncijfers, raw_cbs__adressen]
