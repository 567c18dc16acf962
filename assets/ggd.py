"""Ingest asset of the GGD: Gezondheidsmonitor estimates per wijk and gemeente (Excel workbook).

Depends on ``raw_cbs__kerncijfers`` (area codes); the dependency comes from the contract.
"""

from assets.partners import build_ingest_asset

raw_ggd__gezondheidsmonitor = build_ingest_asset("ggd", "gezondheidsmonitor")

ASSETS = [raw_ggd__gezondheidsmonitor]
