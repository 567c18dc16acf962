"""The dbt project as Dagster assets: staging -> intermediate -> mart, with dbt tests as asset checks.

The manifest is prepared at install time and whenever a dbt file changed (``make``, scripts/prepare_dbt.py); under
``dagster dev`` (``make ui``) it is parsed again each time the definitions load (``DbtProject.prepare_if_dev``), so
the graph always shows the current models. Every dbt command gets the run's settings as ``--vars``
(wijkbeeld/dbt_vars.py): the warehouse, its memory cap and spill folder, the region and the reference year.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, Output, ResourceParam, asset
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from wijkbeeld.dbt_vars import vars_args
from wijkbeeld.settings import DBT_PROJECT_DIR, Settings
from wijkbeeld.warehouse import Warehouse

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
DBT_PROJECT.prepare_if_dev()
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))  # dbt of this interpreter's venv: nothing on PATH

# dbt folder (first level under models/) -> Dagster group, so the graph reads as the data flow.
_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "mart"}
DBT_DOCS_DIR = "dbt-docs"  # under reports/ in the data home


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
    return DbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE)


def dbt_build(
    context: AssetExecutionContext, dbt: DbtCliResource, settings: Settings, warehouse: Warehouse
) -> Iterator[Any]:
    """``dbt build`` with the run's settings, streamed as Dagster events; every model's materialization links to
    its page in the offline dbt docs site of the data home (``dbt_docs``)."""
    index = settings.reports / DBT_DOCS_DIR / "index.html"
    for event in dbt.cli(["build", *vars_args(settings, warehouse)], context=context).stream():
        yield _with_docs_link(event, index) if isinstance(event, Output) else event


def _with_docs_link(event: Output, index: Path) -> Output:
    unique_id = event.metadata.get("unique_id")
    if unique_id is None:
        return event
    node = str(unique_id.value)
    url = MetadataValue.url(f"{index.as_uri()}#!/{node.split('.')[0]}/{node}")
    return event.with_metadata({**event.metadata, "dbt_docs": url})


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=WijkbeeldTranslator(),
    name="wijkbeeld_dbt",
)
def wijkbeeld_dbt_assets(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    settings: ResourceParam[Settings],
    warehouse: ResourceParam[Warehouse],
    refresh_lock: ResourceParam[None],
) -> Iterator[Any]:
    """Build seeds, models and dbt tests; a failing dbt test fails the step and so blocks publication.
    ``refresh_lock``: one refresh at a time holds the warehouse (taken for the whole run)."""
    yield from dbt_build(context, dbt, settings, warehouse)


DBT_DOCS_KEY = AssetKey(["dbt_docs"])
_DBT_TRACKER = "//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js"  # dbt docs' usage tracker (off; removed anyway)


@asset(
    key=DBT_DOCS_KEY,
    group_name="publicatie",
    deps=[AssetKey(["publicatie"])],
    kinds={"dbt"},
    description=(
        "The dbt docs site (models, columns, tests, lineage, warehouse catalog) as one offline HTML file: "
        "reports/dbt-docs/index.html in the data home (`dbt docs generate --static`)."
    ),
)
def dbt_docs(
    settings: ResourceParam[Settings], warehouse: ResourceParam[Warehouse], refresh_lock: ResourceParam[None]
) -> MaterializeResult:
    index = settings.reports / DBT_DOCS_DIR / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wijkbeeld-dbt-docs-") as tmp:
        command = [DBT_EXECUTABLE, "docs", "generate", "--static", "--target-path", tmp]
        command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"]
        done = subprocess.run(
            [*command, *vars_args(settings, warehouse)],
            capture_output=True,
            text=True,
            cwd=DBT_PROJECT_DIR,
            env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"dbt docs generate failed: {(done.stdout + done.stderr).strip()[-2000:]}")
        html = (Path(tmp) / "static_index.html").read_text(encoding="utf-8").replace(_DBT_TRACKER, "")
        for name in ("manifest.json", "catalog.json"):
            shutil.copyfile(Path(tmp) / name, index.parent / name)
    staged = index.with_suffix(".html.tmp")
    staged.write_text(html, encoding="utf-8")
    os.replace(staged, index)
    return MaterializeResult(
        metadata={"dbt_docs": MetadataValue.path(str(index)), "dbt_docs_url": MetadataValue.url(index.as_uri())}
    )


def mart_tables() -> list[str]:
    """The published tables: the dbt models under models/marts, read from the prepared manifest."""
    manifest = json.loads(Path(DBT_PROJECT.manifest_path).read_text(encoding="utf-8"))
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )
