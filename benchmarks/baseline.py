"""Baseline (b): run benchmarks/baseline.sql on the landing folder in one DuckDB connection.

The only step outside SQL is decoding the CP1252 meldingen to UTF-8 (DuckDB needs a downloaded extension
for CP1252; the platform decodes them in Python too). Its time is part of the baseline's time.

Usage: python benchmarks/baseline.py LANDING WORKDIR [--all-gemeenten]; prints a JSON line with timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "dbt_project" / "seeds"
REGION_ONLY = "'GM' || substring(k.gwb_code, 3, 4) in (select gemeentecode from seed_regio)"


def transcode_meldingen(landing: Path, out: Path) -> int:
    """CP1252 -> UTF-8 copies of the meldingen files (streamed per file); returns the number of files."""
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted((landing / "gemeente" / "meldingen").glob("meldingen-*.csv")):
        (out / path.name).write_bytes(path.read_bytes().decode("cp1252").encode("utf-8"))
        count += 1
    return count


def run_baseline(landing: Path, workdir: Path, *, all_gemeenten: bool) -> dict[str, object]:
    """Transcode, then run the script; returns seconds per part and the row count of the result."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    started = time.perf_counter()
    files = transcode_meldingen(landing, workdir / "meldingen")
    transcoded = time.perf_counter()
    sql = (HERE / "baseline.sql").read_text(encoding="utf-8")
    for key, value in {
        "{landing}": landing.as_posix(),
        "{meldingen}": (workdir / "meldingen").as_posix(),
        "{seeds}": SEEDS.as_posix(),
        "{region}": "true" if all_gemeenten else REGION_ONLY,
    }.items():
        sql = sql.replace(key, value)
    con = duckdb.connect(str(workdir / "baseline.duckdb"))
    try:
        con.execute(sql)
        rows = con.execute("select count(*) from fct_indicator_waarde").fetchone()[0]
        events = con.execute("select coalesce(sum(aantal), 0) from gebeurtenissen").fetchone()[0]
    finally:
        con.close()
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "transcode_seconds": transcoded - started,
        "sql_seconds": done - transcoded,
        "meldingen_files": files,
        "result_rows": rows,
        "events": events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--all-gemeenten", action="store_true", help="report on every gemeente, not the region")
    args = parser.parse_args()
    print(json.dumps(run_baseline(args.landing, args.workdir, all_gemeenten=args.all_gemeenten)))


if __name__ == "__main__":
    main()
