"""The dbt assets built from the manifest as JSON (assets/dbt_specs.py) are those dagster-dbt would build:
same keys, groups, dependencies and checks, with the same blocking. (Definitions load without dbt-core;
dagster-dbt runs the step.)"""

from __future__ import annotations

from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets

from assets import dbt_specs
from assets.transform import MANIFEST_PATH, wijkbeeld_dbt_assets
from wijkbeeld.settings import DBT_PROJECT_DIR


class _Keys(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: dict[str, Any]) -> AssetKey:
        return dbt_specs.node_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        return dbt_specs.node_group(dbt_resource_props)


def test_specs_equal_those_of_dagster_dbt() -> None:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

    @dbt_assets(manifest=MANIFEST_PATH, project=project, dagster_dbt_translator=_Keys(), name="reference")
    def reference():  # no return annotation: with one, Dagster expects a tuple of outputs
        yield from ()

    ours = wijkbeeld_dbt_assets
    assert set(ours.keys) == set(reference.keys) and len(ours.keys) > 30
    assert {k: set(ours.asset_deps[k]) for k in ours.keys} == {k: set(reference.asset_deps[k]) for k in reference.keys}
    assert ours.group_names_by_key == reference.group_names_by_key
    ours_checks = {(c.asset_key, c.name): c.blocking for c in ours.check_specs}
    reference_checks = {(c.asset_key, c.name): c.blocking for c in reference.check_specs}
    assert ours_checks == reference_checks and len(ours_checks) > 40


def test_loading_the_definitions_imports_neither_dbt_nor_dagster_dbt() -> None:
    import subprocess
    import sys

    code = (
        "import sys, orchestration.definitions as d; d.defs; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dbt', 'dagster_dbt')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
