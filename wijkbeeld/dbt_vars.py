"""What dbt gets from the platform's settings: every run of dbt passes these as ``--vars``.

The profile (dbt_project/profiles.yml) takes the warehouse path, the memory cap and the spill folder from them,
the models the region and the reference geography year, so ingest's area mapping and the mart always use the
same ``WIJKBEELD_REFERENCE_YEAR``. The defaults in dbt_project.yml (for dbt run by hand) equal
``dbt_vars(Settings(), ...)``; tests/unit/test_settings.py keeps them so.
"""

from __future__ import annotations

import json

from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse


def dbt_vars(settings: Settings, warehouse: Warehouse) -> dict[str, object]:
    """The dbt vars of one run."""
    return {
        "warehouse": str(warehouse.path),
        "duckdb_memory_limit": warehouse.memory_limit,
        "spill_dir": str(warehouse.spill_dir),
        "regiocode": settings.regiocode,
        "regionaam": settings.regionaam,
        "alle_gemeenten": settings.alle_gemeenten,
        "referentiejaar": settings.reference_year,
    }


def vars_args(settings: Settings, warehouse: Warehouse, **extra: object) -> list[str]:
    """``--vars <json>`` for a dbt command line (``extra``: e.g. what an incremental night changed)."""
    return ["--vars", json.dumps({**dbt_vars(settings, warehouse), **extra}, sort_keys=True)]
