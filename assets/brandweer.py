"""Ingest asset of the brandweer: incidents at incident level, mapped to buurt by PC6 + huisnummer.

Depends on ``raw_cbs__adressen`` (address mapping); the dependency comes from the contract.
"""

from assets.partners import build_ingest_asset

raw_brandweer__incidenten = build_ingest_asset("brandweer", "incidenten")

ASSETS = [raw_brandweer__incidenten]
