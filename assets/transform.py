"""The dbt project as Dagster assets: staging -> intermediate -> mart, with dbt tests as asset checks.

The manifest is prepared at install time (`scripts/prepare_dbt.py`), so loading the definitions only
reads ``target/manifest.json`` as JSON (assets/dbt_specs.py); neither dbt-core nor dagster-dbt is imported
until the dbt step runs.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
    multi_asset,
)

from assets import dbt_specs
from wijkbeeld import build_state
from wijkbeeld.config import DBT_PROJECT_DIR, pause_point, settings

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")  # dbt of this interpreter's venv: nothing on PATH


def dbt_docs_index() -> Path:
    """The offline dbt docs site in the data home (built by the ``dbt_docs`` asset)."""
    return settings().reports / "dbt-docs" / "index.html"


def dbt_environment() -> None:
    """Point the dbt profile at this data home's warehouse and give it the platform's checked DuckDB memory cap
    (profiles.yml reads WIJKBEELD_WAREHOUSE and WIJKBEELD_DUCKDB_MEMORY_LIMIT)."""
    s = settings().ensure()
    os.environ["WIJKBEELD_WAREHOUSE"] = str(s.warehouse)
    os.environ["WIJKBEELD_DUCKDB_MEMORY_LIMIT"] = s.duckdb_memory_limit
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


_SPECS, _CHECKS, _UNIQUE_IDS = dbt_specs.build(dbt_specs.load_manifest(MANIFEST_PATH), dbt_docs_index())


@multi_asset(name="wijkbeeld_dbt", specs=_SPECS, check_specs=_CHECKS, can_subset=True)
def wijkbeeld_dbt_assets(context: AssetExecutionContext, refresh_lock: ResourceParam[None]) -> Iterator[Any]:
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
    select: list[str] = []
    if context.is_subset:  # a partner's job: its models (dbt adds the tests on them)
        names = sorted(_UNIQUE_IDS[key].split(".")[-1] for key in context.selected_asset_keys if key in _UNIQUE_IDS)
        select = ["--select", " ".join(names)]
    # The events are held until dbt is done: only then can the warehouse be read (one writer at a time) for
    # what each incremental model recomputed, which goes into its metadata.
    events = []
    try:
        build = dbt_specs.run(
            ["build", *night.dbt_args(), *select],
            project_dir=DBT_PROJECT_DIR,
            manifest_path=MANIFEST_PATH,
            dbt_executable=DBT_EXECUTABLE,
        )
        for i, event in enumerate(build):
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
    if not isinstance(event, MaterializeResult) or event.asset_key is None:
        return event
    model = event.asset_key.path[-1]
    extra: dict[str, Any] = {"bouw": _MODES.get(night.mode, night.mode), "bouw_reden": night.reason}
    if model in counts:
        extra.update(counts[model])
    elif night.mode == "incremental":
        extra["bouw"] = "volledig (tabel, uit de incrementele tussentabellen)"
    return MaterializeResult(asset_key=event.asset_key, metadata={**(event.metadata or {}), **extra})


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
    manifest = dbt_specs.load_manifest(MANIFEST_PATH)
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )
