"""The publish asset: after the quality gate passes, the mart becomes a new immutable release.

It depends on every mart table. The quality checks on those tables are blocking, so when one fails
Dagster skips this asset and the current publication stays untouched. That alone would let a run that
materialises only ``publicatie`` (one click in the UI) publish unchecked tables, so the asset itself requires
that the ``quality_gate`` check of *every* table it publishes passed *in this run*, and records that verdict,
read from the run's check results, in the release.
"""

import json
import subprocess
from datetime import date
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetExecutionContext,
    AssetKey,
    DagsterEventType,
    Failure,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
)

from assets.quality import CHECK_NAME
from assets.transform import DBT_DOCS_DIR, mart_tables
from data_quality.gate import quality_report_dir
from wijkbeeld import __version__
from wijkbeeld.publish import publish_release, summary
from wijkbeeld.settings import REPO_ROOT, Settings
from wijkbeeld.warehouse import Warehouse

PUBLISH_KEY = AssetKey(["publicatie"])


def code_version() -> str:
    """The git commit of the code that built the release (falls back to the package version)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return f"{__version__}+{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def _mart_facts(warehouse: Warehouse) -> tuple[int | None, list[str], date | None]:
    """Reference geography year, published periods and the last day of the newest period with data (a value with
    status ok), from a short read-only look at the warehouse."""
    with warehouse.connect(read_only=True) as con:
        (jaar,) = con.execute("select max(geografie_jaar) from mart.dim_gebied").fetchone()
        perioden = [
            row[0]
            for row in con.execute("select distinct periode from mart.fct_indicator_waarde order by periode").fetchall()
        ]
        (tot_en_met,) = con.execute(
            "select max(periode_eind) from mart.fct_indicator_waarde where status = 'ok'"
        ).fetchone()
    return jaar, perioden, tot_en_met


def _gate_verdict(context: AssetExecutionContext, tables: list[str], quality_report: Path) -> dict:
    """The quality gate's verdict in this run, from the check results Dagster recorded for it.

    Raises :class:`Failure` (nothing is published) unless the ``quality_gate`` check of every table in
    ``tables`` ran in this run and passed: materialising ``publicatie`` alone, or with only some mart tables,
    publishes nothing.
    """
    results: dict[str, AssetCheckEvaluation] = {}
    for entry in context.instance.all_logs(context.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if isinstance(evaluation, AssetCheckEvaluation) and evaluation.check_name == CHECK_NAME:
            results["/".join(evaluation.asset_key.path)] = evaluation
    missing = [t for t in tables if t not in results]
    failed = [t for t in tables if t in results and not results[t].passed]
    if missing or failed:
        why = []
        if missing:
            why.append(f"the quality gate did not run in this run for {', '.join(missing)}")
        if failed:
            why.append(f"the quality gate failed for {', '.join(failed)}")
        raise Failure(
            description=f"publication refused: {'; '.join(why)}. Publish only with the mart tables and their "
            "quality checks in the same run (the nightly_refresh job, or materialise the mart tables together "
            "with publicatie); the current release stays published.",
            metadata={"not_checked": ", ".join(missing) or "-", "failed": ", ".join(failed) or "-"},
        )
    verdict: dict = {
        "resultaat": "geslaagd",
        "run_id": context.run_id,
        "tabellen": {
            table: {
                "geslaagd": True,
                **{
                    key: results[table].metadata[key].value
                    for key in ("expectations_evaluated", "row_count")
                    if key in results[table].metadata
                },
            }
            for table in tables
        },
    }
    latest = quality_report / "latest.json"
    if latest.exists():
        verdict["rapport"] = json.loads(latest.read_text(encoding="utf-8"))
    return verdict


@asset(
    key=PUBLISH_KEY,
    group_name="publicatie",
    deps=[AssetKey([name]) for name in mart_tables()],
    kinds={"duckdb", "parquet"},
    description=(
        "Publishes the mart as a new immutable release (DuckDB + Parquet) and swaps publish/wijkbeeld.duckdb "
        "and publish/current atomically. Runs only when the blocking quality check of every mart table passed "
        "in the same run; materialised on its own it refuses."
    ),
)
def publicatie(
    context: AssetExecutionContext,
    settings: ResourceParam[Settings],
    warehouse: ResourceParam[Warehouse],
    refresh_lock: ResourceParam[None],  # one refresh at a time holds the warehouse
) -> MaterializeResult:
    s = settings
    tables = mart_tables()
    gate = _gate_verdict(context, tables, quality_report_dir(s))
    jaar, perioden, tot_en_met = _mart_facts(warehouse)
    result = publish_release(
        warehouse=warehouse,
        tables=tables,
        gate=gate,
        geografie_jaar=jaar,
        perioden=perioden,
        code_versie=code_version(),
        data_tot_en_met=tot_en_met,
        settings=s,
    )
    context.log.info(summary(result))
    return MaterializeResult(
        metadata={
            "release_id": result.release.release_id,
            "new_release": result.changed,
            "rows_per_table": MetadataValue.json(result.release.row_counts),
            "path": MetadataValue.path(str(result.stable_path)),
            "quality_report": MetadataValue.url((quality_report_dir(s) / "index.html").as_uri()),
            "dbt_docs": MetadataValue.url((s.reports / DBT_DOCS_DIR / "index.html").as_uri()),
        }
    )
