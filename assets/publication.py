"""The publish asset: after the quality gate passes, the mart becomes a new immutable release.

It depends on every mart table. The quality checks on those tables are blocking, so when one fails
Dagster skips this asset and the current publication stays untouched.
"""

import json
import subprocess
from datetime import date
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from assets.transform import mart_tables
from wijkbeeld import __version__
from wijkbeeld.config import REPO_ROOT, settings

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


def _mart_facts(warehouse: Path) -> tuple[int | None, list[str], date | None]:
    """Reference geography year, published periods and the last day of the newest period with data (a value with
    status ok), from a short read-only look at the warehouse."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        (jaar,) = con.execute("select max(geografie_jaar) from mart.dim_gebied").fetchone()
        perioden = [
            row[0]
            for row in con.execute("select distinct periode from mart.fct_indicator_waarde order by periode").fetchall()
        ]
        (tot_en_met,) = con.execute(
            "select max(periode_eind) from mart.fct_indicator_waarde where status = 'ok'"
        ).fetchone()
    finally:
        con.close()
    return jaar, perioden, tot_en_met


def _gate_summary(reports: Path) -> dict:
    """The quality gate's machine-readable result, as written by the checks of this run."""
    latest = reports / "quality" / "latest.json"
    if latest.exists():
        return {"resultaat": "geslaagd", "rapport": json.loads(latest.read_text(encoding="utf-8"))}
    return {"resultaat": "geslaagd"}


@asset(
    key=PUBLISH_KEY,
    group_name="publicatie",
    deps=[AssetKey([name]) for name in mart_tables()],
    kinds={"duckdb", "parquet"},
    description=(
        "Publishes the mart as a new immutable release (DuckDB + Parquet) and swaps publish/wijkbeeld.duckdb "
        "and publish/current atomically. Runs only when every blocking quality check passed."
    ),
)
def publicatie(context: AssetExecutionContext) -> MaterializeResult:
    from wijkbeeld.publish import publish_release, summary

    s = settings().ensure()
    jaar, perioden, tot_en_met = _mart_facts(s.warehouse)
    result = publish_release(
        warehouse=s.warehouse,
        tables=mart_tables(),
        gate=_gate_summary(s.reports),
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
            "nieuwe_release": result.changed,
            "rijen_per_tabel": MetadataValue.json(result.release.row_counts),
            "pad": MetadataValue.path(str(result.stable_path)),
            "kwaliteitsrapport": MetadataValue.url((s.reports / "quality" / "index.html").as_uri()),
            "dbt_docs": MetadataValue.url((s.reports / "dbt-docs" / "index.html").as_uri()),
        }
    )
