"""The dbt project as Dagster assets: staging -> intermediate -> mart, with dbt tests as asset checks.

The manifest is prepared at install time (`scripts/prepare_dbt.py`), so loading the definitions only
reads ``target/manifest.json``; it never parses the dbt project.
"""

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from wijkbeeld.config import DBT_PROJECT_DIR, settings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# dbt folder (first level under models/) -> Dagster group, so the graph reads as the data flow.
_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "mart"}


class WijkbeeldTranslator(DagsterDbtTranslator):
    """Flat, readable asset keys: the table name that the value carries from landing to mart."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props.get("identifier") or dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "catalogus"
        fqn = dbt_resource_props.get("fqn", [])
        return _GROUPS.get(fqn[1] if len(fqn) > 2 else "", "transform")


def dbt_resource() -> DbtCliResource:
    """dbt from this interpreter's environment (the venv), so it needs nothing on PATH."""
    return DbtCliResource(
        project_dir=DBT_PROJECT,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
    )


def dbt_environment() -> None:
    """Point the dbt profile at this data home's warehouse (profiles.yml reads WIJKBEELD_WAREHOUSE)."""
    os.environ["WIJKBEELD_WAREHOUSE"] = str(settings().ensure().warehouse)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=WijkbeeldTranslator(),
    name="wijkbeeld_dbt",
)
def wijkbeeld_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build seeds, models and dbt tests; a failing dbt test fails the step and so blocks publication."""
    dbt_environment()
    yield from dbt.cli(["build"], context=context).stream()


def mart_tables() -> list[str]:
    """The published tables: the dbt models under models/marts, read from the prepared manifest."""
    import json

    manifest = json.loads(Path(DBT_PROJECT.manifest_path).read_text(encoding="utf-8"))
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )
