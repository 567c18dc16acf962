"""Ingest assets of the gemeenten: Meldingen Openbare Ruimte (MOR), BOA registrations (handhaving) and the
Veiligheidsmonitor survey.

Dependencies on ``raw_cbs__kerncijfers`` (area code checks, buurt -> wijk) and ``raw_cbs__adressen``
(address mapping) come from the contracts.
"""

from assets.partners import build_ingest_asset

raw_gemeente__meldingen = build_ingest_asset("gemeente", "meldingen")
raw_gemeente__handhaving = build_ingest_asset("gemeente", "handhaving")
raw_gemeente__veiligheidsmonitor = build_ingest_asset("gemeente", "veiligheidsmonitor")

ASSETS = [raw_gemeente__meldingen, raw_gemeente__handhaving, raw_gemeente__veiligheidsmonitor]
