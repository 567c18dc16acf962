"""Ingest assets of the politie: registered crimes and incidents per wijk/buurt and month.

Both depend on ``raw_cbs__kerncijfers`` (area codes are checked against the CBS geography); the
dependency comes from the contracts' ``checks``.
"""

from assets.partners import build_ingest_asset

raw_politie__misdrijven = build_ingest_asset("politie", "misdrijven")
raw_politie__incidenten = build_ingest_asset("politie", "incidenten")

ASSETS = [raw_politie__misdrijven, raw_politie__incidenten]
