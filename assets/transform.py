"""The dbt project as Dagster assets: staging -> intermediate -> mart, with dbt tests as asset checks.

The manifest is prepared at install time and whenever a dbt file changed (``make``, scripts/prepare_dbt.py); under
``dagster dev`` (``make ui``) it is brought up to date each time the definitions load, so the graph always shows the
current models. Loading the definitions reads it as JSON (assets/dbt_specs.py): neither dbt-core nor dagster-dbt is
imported until the dbt step runs. Every dbt command gets the run's settings as ``--vars`` (wijkbeeld/dbt_vars.py):
the warehouse, its memory cap and spill folder, the region and the reference year.
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
    AssetCheckResult,
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
from wijkbeeld.dbt_vars import dbt_vars, vars_args
from wijkbeeld.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings
from wijkbeeld.warehouse import Warehouse

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))  # dbt of this interpreter's venv: nothing on PATH
DBT_DOCS_DIR = "dbt-docs"  # under reports/ in the data home

if os.environ.get("DAGSTER_IS_DEV_CLI"):  # `dagster dev`: parse the project again when a dbt file changed
    subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "prepare_dbt.py"), "--if-stale"], check=False)

_SPECS, _CHECKS, _UNIQUE_IDS = dbt_specs.build(dbt_specs.load_manifest(MANIFEST_PATH))


def dbt_build(
    args: list[str], settings: Settings, warehouse: Warehouse, extra_vars: Mapping[str, Any] | None = None
) -> Iterator[Any]:
    """``dbt <args>`` with the run's settings (plus ``extra_vars``), streamed as Dagster events; every model's
    materialization links to its page in the offline dbt docs site of the data home (``dbt_docs``)."""
    index = settings.reports / DBT_DOCS_DIR / "index.html"
    events = dbt_specs.run(
        [*args, *vars_args(settings, warehouse, **(extra_vars or {}))],
        project_dir=DBT_PROJECT_DIR,
        manifest_path=MANIFEST_PATH,
        dbt_executable=DBT_EXECUTABLE,
    )
    for event in events:
        yield _with_docs_link(event, index)


def _with_docs_link(event: Any, index: Path) -> Any:
    if not isinstance(event, MaterializeResult) or event.asset_key is None:
        return event
    unique_id = _UNIQUE_IDS.get(event.asset_key)
    if unique_id is None:
        return event
    url = MetadataValue.url(f"{index.as_uri()}#!/{unique_id.split('.')[0]}/{unique_id}")
    return MaterializeResult(asset_key=event.asset_key, metadata={**(event.metadata or {}), "dbt_docs": url})


@multi_asset(name="wijkbeeld_dbt", specs=_SPECS, check_specs=_CHECKS, can_subset=True)
def wijkbeeld_dbt_assets(
    context: AssetExecutionContext,
    settings: ResourceParam[Settings],
    warehouse: ResourceParam[Warehouse],
    refresh_lock: ResourceParam[None],
) -> Iterator[Any]:
    """Build seeds, models and dbt tests; a failing dbt test fails the step and so blocks publication.
    ``refresh_lock``: one refresh at a time holds the warehouse (taken for the whole run).

    A night builds what changed (wijkbeeld/build_state.py): nothing when no delivery is new and the project
    is unchanged (then the gate, publication, report and docs downstream are skipped too), only the months
    and periods new deliveries touch when the project is unchanged, everything otherwise."""
    night = _plan(settings, warehouse)
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
    events: list[MaterializeResult | AssetCheckResult] = []
    try:
        events.extend(dbt_build(["build", *night.dbt_flags(), *select], settings, warehouse, night.dbt_vars()))
    except Exception:
        yield from events  # what did build is shown, then the step fails
        raise
    if night.mode == "incremental":
        with warehouse.connect(read_only=True) as con:
            counts = build_state.rebuilt(con)
    else:
        counts = {}
    for event in events:
        yield _with_build_metadata(event, night, counts)
    if not context.is_subset:  # a partner's job builds part of the mart: the next full night builds the rest
        with warehouse.connect() as con:
            build_state.record(con, night)


def _plan(settings: Settings, warehouse: Warehouse) -> build_state.BuildPlan:
    """This night's build: compared with the last build the warehouse recorded."""
    data_settings = {k: v for k, v in dbt_vars(settings, warehouse).items() if k in build_state.DATA_VARS}
    fingerprint = build_state.fingerprint(DBT_PROJECT_DIR, build_state.MODEL_CODE, data_settings)
    if not warehouse.path.exists():
        return build_state.BuildPlan("full", None, 0, fingerprint, "no warehouse yet")
    with warehouse.connect(read_only=True) as con:
        return build_state.plan(con, fingerprint)


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
    description=(
        "The dbt docs site (models, columns, tests, lineage, warehouse catalog) as one offline HTML file: "
        "reports/dbt-docs/index.html in the data home (`dbt docs generate --static`)."
    ),
)
def dbt_docs(
    settings: ResourceParam[Settings], warehouse: ResourceParam[Warehouse], refresh_lock: ResourceParam[None]
) -> MaterializeResult:
    """Generated only when the dbt project changed since the site was made (the docs describe the project)."""
    index = settings.reports / DBT_DOCS_DIR / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    stamp = index.with_name("vingerafdruk.txt")
    project = build_state.fingerprint(DBT_PROJECT_DIR, (), {})
    metadata = {"dbt_docs": MetadataValue.path(str(index)), "dbt_docs_url": MetadataValue.url(index.as_uri())}
    if index.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == project:
        return MaterializeResult(metadata={**metadata, "bouw": "ongewijzigd: het dbt-project is niet veranderd"})
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
