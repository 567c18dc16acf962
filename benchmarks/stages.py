"""Benchmark stages that run in their own process (so each gets its own wall time and peak RSS).

Each subcommand prints one JSON object on its last stdout line. benchmarks/run.py calls them; they can
also be run by hand with WIJKBEELD_HOME / DAGSTER_HOME set:

    python benchmarks/stages.py generate --scale region --start 2025-01 --end 2025-12
    python benchmarks/stages.py next-month --scale region       # one new month of deliveries
    python benchmarks/stages.py redeliver-month                  # the newest politie month again, corrected
    python benchmarks/stages.py defs                            # Dagster definitions load time
    python benchmarks/stages.py steps                           # step timings of the latest Dagster run
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def generate(args: argparse.Namespace) -> dict[str, object]:
    from wijkbeeld.demo import generate as demo_generate
    from wijkbeeld.settings import load_settings

    started = time.perf_counter()
    landing = load_settings().ensure().landing
    summary = demo_generate(landing, seed=args.seed, start=args.start, end=args.end, scale=args.scale)
    return {
        "seconds": time.perf_counter() - started,
        "files": summary.files_written,
        "files_per_dataset": summary.files_per_dataset,
        "rows_per_dataset": summary.rows_per_dataset,
    }


def _last_month(landing_and_archive: list[Path]) -> str:
    """The newest month of the politie deliveries (YYYY-MM), from the file names."""
    # Archived files carry a hash prefix: <sha256-prefix>_misdrijven-YYYYMM.csv.
    names = [p.name for folder in landing_and_archive for p in folder.rglob("*misdrijven-*.csv")]
    if not names:
        raise SystemExit("no politie/misdrijven deliveries in landing or archive: nothing to follow up on")
    newest = max(name.rsplit("-", 1)[1][:6] for name in names)
    return f"{newest[:4]}-{newest[4:]}"


def next_month(args: argparse.Namespace) -> dict[str, object]:
    """Generate the month after the newest delivered one and drop only that month's files into landing.

    A month of deliveries: the monthly files of every partner dated that month, plus the handhaving
    workbooks of its year (a yearly workbook is re-sent every month)."""
    import pandas as pd

    from wijkbeeld.demo import generate as demo_generate
    from wijkbeeld.settings import load_settings

    s = load_settings().ensure()
    month = pd.Period(_last_month([s.landing, s.archive]), freq="M") + 1
    tag = f"{month.year}{month.month:02d}"
    with tempfile.TemporaryDirectory(prefix="wijkbeeld-bench-") as tmp:
        scratch = Path(tmp) / "landing"
        demo_generate(scratch, seed=args.seed, start=str(month), end=str(month), scale=args.scale)
        moved = 0
        for path in sorted(scratch.rglob("*")):
            if path.is_dir() or path.name.endswith(".complete"):
                continue
            name = path.name
            if tag in name or (name.startswith("handhaving-") and f"-{month.year}." in name):
                dest = s.landing / path.relative_to(scratch)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, dest)
                (dest.parent / f"{name}.complete").touch()
                moved += 1
    return {"month": str(month), "files": moved}


def redeliver_month(_: argparse.Namespace) -> dict[str, object]:
    """Re-deliver the newest month of politie misdrijven with one count corrected (+1): the same file name,
    new bytes, as a partner sends a correction. The archive keeps the original as ``<sha-prefix>_<name>``."""
    from wijkbeeld.settings import load_settings

    s = load_settings().ensure()
    month = _last_month([s.landing, s.archive]).replace("-", "")
    archived = sorted((s.archive / "politie" / "misdrijven").glob(f"*_misdrijven-{month}.csv"))
    if not archived:
        raise SystemExit(f"no archived politie/misdrijven file of {month} to re-deliver")
    original = archived[-1]
    lines = original.read_bytes().split(b"\n")
    for i in range(1, len(lines)):  # the first data row whose last field is a count: one more (bytes: any encoding)
        head, sep, last = lines[i].rstrip(b"\r").rpartition(b";")
        if sep and last.strip().isdigit():
            ending = lines[i][len(lines[i].rstrip(b"\r")) :]
            lines[i] = head + b";" + str(int(last) + 1).encode() + ending
            break
    name = original.name.split("_", 1)[1]
    dest = s.landing / "politie" / "misdrijven" / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(b"\n".join(lines))
    (dest.parent / f"{name}.complete").touch()
    return {"month": f"{month[:4]}-{month[4:]}", "files": 1, "file": name}


def defs(_: argparse.Namespace) -> dict[str, object]:
    """Seconds to import and resolve the Dagster definitions, as the UI, the CLI and the daemon do."""
    started = time.perf_counter()
    from orchestration.definitions import defs as definitions

    imported = time.perf_counter()
    definitions.get_repository_def().get_all_jobs()
    return {"seconds": time.perf_counter() - started, "import_seconds": imported - started}


def _step_kind(step_key: str) -> str:
    if re.fullmatch(r"raw_[a-z]+__[a-z]+", step_key):
        return "ingest"
    if step_key.startswith("raw_"):
        return "ingest_check"
    if "quality_gate" in step_key:
        return "quality_gate"
    if "publicatie" in step_key:
        return "publish"
    if step_key == "wijkbeeld_dbt":
        return "dbt"
    if step_key == "wijkprofiel_rapport":
        return "report"
    if step_key == "dbt_docs":
        return "dbt_docs"
    return "other"


def steps(_: argparse.Namespace) -> dict[str, object]:
    """Per-step durations and ingest row counts of the latest run, and table sizes of the warehouse."""
    import duckdb
    from dagster import DagsterEventType, DagsterInstance

    from wijkbeeld.settings import load_settings

    s = load_settings()
    with DagsterInstance.from_config(str(s.dagster)) as instance:
        run = instance.get_runs(limit=1)[0]
        stats = instance.get_run_step_stats(run.run_id)
        records = instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        rows: dict[str, dict[str, int]] = {}
        for record in records:
            mat = record.dagster_event.step_materialization_data.materialization
            meta = {k: v.value for k, v in mat.metadata.items()}
            if "rows_accepted" in meta:
                rows["/".join(mat.asset_key.path)] = {
                    "rows_accepted": int(meta["rows_accepted"]),
                    "rows_rejected": int(meta.get("rows_rejected", 0)),
                    "files_ingested": int(meta.get("files_ingested", 0)),
                }
        result = {
            "run_id": run.run_id,
            "status": run.status.value,
            "steps": [
                {
                    "step": st.step_key,
                    "kind": _step_kind(st.step_key),
                    "status": st.status.value if st.status else None,
                    "seconds": (st.end_time - st.start_time) if st.start_time and st.end_time else None,
                }
                for st in stats
            ],
            "ingest_rows": rows,
        }
    con = duckdb.connect(str(s.warehouse_file), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables() where schema_name in ('raw', 'mart')"
        ).fetchall()
        result["warehouse_rows"] = {}
        for schema, table, _ in tables:
            (count,) = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            result["warehouse_rows"][f"{schema}.{table}"] = count
    finally:
        con.close()
    result["warehouse_bytes"] = s.warehouse_file.stat().st_size
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="One benchmark stage (prints JSON).")
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("generate")
    p.add_argument("--scale", default="region")
    p.add_argument("--start")
    p.add_argument("--end")
    p.add_argument("--seed", type=int, default=2024)
    p.set_defaults(func=generate)
    p = sub.add_parser("redeliver-month")
    p.set_defaults(func=redeliver_month)
    p = sub.add_parser("next-month")
    p.add_argument("--scale", default="region")
    p.add_argument("--seed", type=int, default=2024)
    p.set_defaults(func=next_month)
    sub.add_parser("defs").set_defaults(func=defs)
    sub.add_parser("steps").set_defaults(func=steps)
    args = parser.parse_args()
    print(json.dumps(args.func(args)))


if __name__ == "__main__":
    main()
