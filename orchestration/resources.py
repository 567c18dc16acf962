"""Resources shared by the assets."""

from __future__ import annotations

from assets.transform import dbt_resource


def resources() -> dict:
    return {"dbt": dbt_resource()}
