"""The dbt project as Dagster assets: staging -> intermediate -> mart, with dbt tests as asset checks.

The manifest is prepared at install time (`scripts/prepare_dbt.py`), so loading the definitions only
reads ``target/manifest.json``; it never parses the dbt project.
"""

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

from wijkbeeld import build_state
from wijkbeeld.config import DBT_PROJECT_DIR, pause_point, settings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# dbt folder (first level under models/) -> Dagster group, so the graph reads as the data flow.
_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "mart"}


def dbt_docs_index() -> Path:
    """The offline dbt docs site in the data home (built by the ``dbt_docs`` asset)."""
    return settings().reports / "dbt-docs" / "index.html"


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

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """dagster-dbt's metadata plus a link to this model's page in the offline dbt docs site."""
        page = f"{dbt_docs_index().as_uri()}#!/{dbt_resource_props['resource_type']}/"
        page += dbt_resource_props["unique_id"]
        return {**super().get_metadata(dbt_resource_props), "dbt_docs": MetadataValue.url(page)}


def dbt_resource() -> DbtCliResource:
    """dbt from this interpreter's environment (the venv), so it needs nothing on PATH."""
    return DbtCliResource(
        project_dir=DBT_PROJECT,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
    )


def dbt_environment() -> None:
    """Point the dbt profile at this data home's warehouse and give it the platform's checked DuckDB memory cap
    (profiles.yml reads WIJKBEELD_WAREHOUSE and WIJKBEELD_DUCKDB_MEMORY_LIMIT)."""
    s = settings().ensure()
    os.environ["WIJKBEELD_WAREHOUSE"] = str(s.warehouse)
    os.environ["WIJKBEELD_DUCKDB_MEMORY_LIMIT"] = s.duckdb_memory_limit
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=WijkbeeldTranslator(),
    name="wijkbeeld_dbt",
)
def wijkbeeld_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, refresh_lock: ResourceParam[None]
) -> Iterator[Any]:
    """Build seeds, models and dbt tests; a failing dbt test fails the step and so blocks publication.
    ``refresh_lock``: one refresh at a time holds the warehouse (taken for the whole run).

    A night builds what changed (wijkbeeld/build_state.py): nothing when no delivery is new and the project
    is unchanged (then the gate, publication, report and docs downstream are skipped too), only the months
    and periods new deliveries touch when the project is unchanged, everything otherwise."""
    dbt_environment()
    s = settings()
    night = build_state.plan_for(s.warehouse, DBT_PROJECT_DIR, os.environ)
    if night.mode == "none":
        context.log.info(
            f"Nothing new ({night.reason}): dbt, the quality gate, publication, the report and the dbt docs "
            "are skipped; the current release stays published."
        )
        return
    context.log.info(f"dbt build, {night.mode}: {night.reason}")
    # The events are held until dbt is done: only then can the warehouse be read (one writer at a time) for
    # what each incremental model recomputed, which goes into its metadata.
    events = []
    try:
        for i, event in enumerate(dbt.cli(["build", *night.dbt_args()], context=context).stream()):
            events.append(event)
            if i == 0:
                pause_point("dbt")  # fault tests only (inert unless WIJKBEELD_TEST_PAUSE_AT=dbt)
    except Exception:
        yield from events  # what did build is shown, then the step fails
        raise
    counts = build_state.rebuilt(s.warehouse) if night.mode == "incremental" else {}
    for event in events:
        yield _with_build_metadata(event, night, counts)
    if not context.is_subset:  # a partner's job builds part of the mart: the next full night builds the rest
        build_state.record_for(s.warehouse, night)


_MODES = {"full": "volledig", "incremental": "incrementeel"}


def _with_build_metadata(event: Any, night: build_state.BuildPlan, counts: Mapping[str, Mapping[str, int]]) -> Any:
    """A model's materialization with how it was built tonight (and, incremental, what it recomputed)."""
    if not isinstance(event, Output):
        return event
    model = event.output_name.removeprefix("model_wijkbeeld_")  # dagster-dbt's name for the dbt node
    extra: dict[str, Any] = {"bouw": _MODES.get(night.mode, night.mode), "bouw_reden": night.reason}
    if model in counts:
        extra.update(counts[model])
    elif night.mode == "incremental":
        extra["bouw"] = "volledig (tabel, uit de incrementele tussentabellen)"
    return event.with_metadata({**event.metadata, **extra})


DBT_DOCS_KEY = AssetKey(["dbt_docs"])
_DBT_TRACKER = "//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js"  # dbt docs' usage tracker (off; removed anyway)


@asset(
    key=DBT_DOCS_KEY,
    group_name="publicatie",
    deps=[AssetKey(["publicatie"])],
    kinds={"dbt"},
    required_resource_keys={"refresh_lock"},
    description=(
        "The dbt docs site (models, columns, tests, lineage, warehouse catalog) as one offline HTML file: "
        "reports/dbt-docs/index.html in the data home (`dbt docs generate --static`)."
    ),
)
def dbt_docs() -> MaterializeResult:
    """Generated only when the dbt project changed since the site was made (the docs describe the project)."""
    dbt_environment()
    index = dbt_docs_index()
    index.parent.mkdir(parents=True, exist_ok=True)
    stamp = index.with_name("vingerafdruk.txt")
    project = build_state.fingerprint(DBT_PROJECT_DIR, (), {})
    metadata = {"dbt_docs": MetadataValue.path(str(index)), "dbt_docs_url": MetadataValue.url(index.as_uri())}
    if index.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == project:
        return MaterializeResult(metadata={**metadata, "bouw": "ongewijzigd: het dbt-project is niet veranderd"})
    with tempfile.TemporaryDirectory(prefix="wijkbeeld-dbt-docs-") as tmp:
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("dbt")),
                "docs",
                "generate",
                "--static",
                "--target-path",
                tmp,
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            cwd=DBT_PROJECT_DIR,
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
    stamp.write_text(project + "\n", encoding="utf-8")
    return MaterializeResult(metadata={**metadata, "bouw": "opnieuw gemaakt"})


def mart_tables() -> list[str]:
    """The published tables: the dbt models under models/marts, read from the prepared manifest."""
    import json

    manifest = json.loads(Path(DBT_PROJECT.manifest_path).read_text(encoding="utf-8"))
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )
