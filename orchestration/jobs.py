"""Jobs. Everything runs in-process: on 2 cores the fixed cost of a process per step dominates.

- ``nightly_refresh``: the full refresh (every partner dataset -> dbt -> quality gate -> publish). The 02:00
  schedule and the landing sensor launch it; launch it by hand from the UI for a manual full refresh.
- ``refresh_<partner>`` (one per partner with ingest assets): that partner's ingest assets and
  everything downstream of them (its dbt models, the marts, the quality gate, publish), e.g. after a
  partner re-delivered a file. Other partners' data is used as it is in the warehouse.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

from assets.ingest_defs import INGEST_ASSETS

NIGHTLY_JOB_NAME = "nightly_refresh"

nightly_refresh = define_asset_job(
    name=NIGHTLY_JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest every partner dataset -> dbt -> quality gate -> publish.",
)


def partner_job_name(partner: str) -> str:
    return f"refresh_{partner}"


def partner_jobs() -> list:
    """One job per partner: its ingest assets (``raw_<partner>__<dataset>``) plus everything downstream."""
    by_partner: dict[str, list] = {}
    for assets_def in INGEST_ASSETS:
        for key in assets_def.keys:
            partner = key.path[-1].removeprefix("raw_").split("__")[0]
            by_partner.setdefault(partner, []).append(key)
    return [
        define_asset_job(
            name=partner_job_name(partner),
            selection=AssetSelection.assets(*keys).downstream(),
            executor_def=in_process_executor,
            description=f"Refresh {partner}'s data only: its ingest assets -> dbt -> quality gate -> publish.",
        )
        for partner, keys in sorted(by_partner.items())
    ]


PARTNER_JOBS = partner_jobs()
