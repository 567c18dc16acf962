"""Ingest assets of the gemeenten: Meldingen Openbare Ruimte (MOR).

Depends on ``raw_cbs__kerncijfers`` (gemeente code check) and ``raw_cbs__adressen`` (buurt mapping);
the dependencies come from the contract.
"""

from assets.partners import build_ingest_asset, build_quarantine_check

raw_gemeente__meldingen = build_ingest_asset("gemeente", "meldingen")

ASSETS = [raw_gemeente__meldingen]
CHECKS = [build_quarantine_check("gemeente", "meldingen")]
