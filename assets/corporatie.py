"""Ingest asset of the housing corporations: signals per PC6, one workbook per corporation and quarter.

Depends on ``raw_cbs__adressen`` (PC6 -> majority buurt); the dependency comes from the contract.
"""

from assets.partners import build_ingest_asset

raw_corporatie__signalen = build_ingest_asset("corporatie", "signalen")

ASSETS = [raw_corporatie__signalen]
