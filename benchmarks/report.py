"""Render docs/benchmark.md from the results files that benchmarks/run.py writes (one per scale).

Usage: python benchmarks/report.py [RESULTS_DIR] [OUT]  (re-renders without measuring again).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GIB = 1024 * 1024  # KiB per GiB
TARGETS = {
    # issue 15: a full refresh against the one-script baseline (b), per scale; ingest rows/s per dataset
    "full_vs_baseline": {"region": 5.0, "national": 2.0},
    "csv_rows_per_second": 1_000_000,
    "xlsx_rows_per_second": 100_000,
    # issue 16: one new month against a full refresh, per scale; a night with nothing new (region)
    "incremental_share": {"region": 0.20, "national": 0.05},
    "nothing_new_share": 0.10,
    "peak_rss_gib": 4.0,
    "defs_seconds": 3.0,
}


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def _mib(kib: float | None) -> str:
    return "–" if kib is None else f"{kib / 1024:,.0f}"


def _rate(rows: float | None, seconds: float | None) -> str:
    if not rows or not seconds:
        return "–"
    return f"{rows / seconds:,.0f}"


def _steps_by_kind(dagster: dict) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for step in dagster.get("steps", []):
        kinds.setdefault(step["kind"], []).append(step)
    return kinds


def _stage_table(run: dict, title: str) -> list[str]:
    """Per-stage seconds, rows and rows/s of one refresh, from the Dagster run's step statistics."""
    dagster = run.get("dagster") or {}
    if not dagster.get("steps"):
        return [f"_{title}: no step statistics (the run did not start or its instance was not readable)._", ""]
    kinds = _steps_by_kind(dagster)
    rows = dagster.get("ingest_rows", {})
    wh = dagster.get("warehouse_rows", {})
    raw_rows = sum(v for k, v in wh.items() if k.startswith("raw."))
    mart_rows = sum(v for k, v in wh.items() if k.startswith("mart."))
    out = [
        f"**{title}** — run status `{dagster.get('status')}`, wall {_s(run.get('wall_seconds'))} s, "
        f"peak RSS {_mib(run.get('peak_rss_kib'))} MiB.",
        "",
        "| stage | seconds | rows | rows/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    step_total = 0.0
    for step in sorted(kinds.get("ingest", []), key=lambda s: s["step"]):
        secs = step["seconds"] or 0.0
        step_total += secs
        r = rows.get(step["step"], {})
        n = r.get("rows_accepted", 0) + r.get("rows_rejected", 0)
        files = r.get("files_ingested", 0)
        out.append(f"| ingest {step['step']} ({files} new files) | {_s(secs)} | {n:,} | {_rate(n, secs)} |")
    for kind, label, n in (
        ("ingest_check", "ingest quarantine checks", None),
        ("dbt", "dbt build (rows = raw rows in the warehouse)", raw_rows),
        ("quality_gate", "quality gate (rows = mart rows)", mart_rows),
        ("publish", "publish (rows = mart rows)", mart_rows),
        ("report", "wijkprofiel report", None),
        ("dbt_docs", "dbt docs site", None),
        ("other", "other steps", None),
    ):
        if kind not in kinds:
            continue
        secs = sum(s["seconds"] or 0.0 for s in kinds[kind])
        step_total += secs
        shown = f"{n:,}" if n else "–"
        out.append(f"| {label} ({len(kinds[kind])} steps) | {_s(secs)} | {shown} | {_rate(n, secs)} |")
    wall = run.get("wall_seconds")
    if wall:
        out.append(f"| outside the steps: process start, definitions, run bookkeeping | {_s(wall - step_total)} | | |")
    out.append("")
    return out


def _defs_seconds(stage: object) -> float | None:
    if not isinstance(stage, list) or not stage:
        return None
    values = [s.get("seconds") for s in stage if isinstance(s, dict) and s.get("seconds") is not None]
    return statistics.median(values) if values else None


def _pandas_target(c_full: float | None, pand: dict, full_wall: float | None) -> tuple[str, str, bool]:
    name = "pandas (c) slower: (c)/full > 1"
    if pand.get("stopped") and full_wall and pand.get("wall_seconds"):
        bound = pand["wall_seconds"] / full_wall
        return name, f"did not finish ({pand['stopped']}); > {bound:.2f}", bound > 1
    return name, f"{c_full:.2f}" if c_full else "–", bool(c_full and c_full > 1)


def _slowest_ingest(full: dict, fmt: str) -> tuple[str, float] | None:
    """The dataset of format ``fmt`` with the fewest rows/s through ingest in the full refresh (step time)."""
    from wijkbeeld.ingest import all_contracts  # the contracts say which dataset is CSV and which Excel

    tables = {c.raw_table for c in all_contracts() if c.file.format == fmt}
    rows = (full.get("dagster") or {}).get("ingest_rows", {})
    rates = []
    for step in (full.get("dagster") or {}).get("steps", []):
        r = rows.get(step["step"], {})
        n = r.get("rows_accepted", 0) + r.get("rows_rejected", 0)
        if step["step"] in tables and n and step.get("seconds"):
            rates.append((step["step"].removeprefix("raw_"), n / step["seconds"]))
    return min(rates, key=lambda t: t[1]) if rates else None


def _rate_target(full: dict, fmt: str, label: str, key: str) -> tuple[str, str, bool]:
    slowest = _slowest_ingest(full, fmt)
    name = f"every {label} dataset ≥ {TARGETS[key]:,} rows/s through ingest"
    if slowest is None:
        return name, "–", False
    return name, f"slowest: {slowest[0]} {slowest[1]:,.0f} rows/s", slowest[1] >= TARGETS[key]


def _scale_section(res: dict) -> list[str]:
    st = res["stages"]
    m = res["machine"]
    gen, base, pand = st.get("generate", {}), st.get("baseline", {}), st.get("pandas", {})
    full, inc, nxt = st.get("full", {}), st.get("incremental", {}), st.get("next_month", {})
    red, rdm, none = st.get("redelivery", {}), st.get("redeliver_month", {}), st.get("nothing_new", {})
    inc_target = TARGETS["incremental_share"].get(res["scale"], 0.05)
    full_target = TARGETS["full_vs_baseline"].get(res["scale"], 2.0)
    defs = _defs_seconds(st.get("defs"))
    defs_wall = [s["wall_seconds"] for s in st.get("defs", []) if isinstance(s, dict)]
    out = [
        f"## {res['scale'].capitalize()} scale",
        "",
        f"Measured {res['started']} – {res.get('finished', '?')} UTC on commit `{res['commit']}`."
        + (f" Note: {res['note']}" if res.get("note") else ""),
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['os']}, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f". Load average (1/5/15 min) at the start {', '.join(f'{x:.1f}' for x in m['loadavg_start'])}, "
        f"at the end {', '.join(f'{x:.1f}' for x in m.get('loadavg_end', []))}.",
        "",
        "### Data",
        "",
    ]
    if gen.get("reused"):
        out += [
            f"Demo extracts generated earlier by `wijkbeeld demo --scale {res['scale']}` and hard-linked into the "
            f"benchmark's data home: {gen.get('files', 0):,} files. Rows per dataset: see the ingest rows below.",
            "",
            "| dataset | files | MiB |",
            "| --- | ---: | ---: |",
        ]
        for key in sorted(gen.get("files_per_dataset") or {}):
            mib = gen["bytes_per_dataset"][key] / 1024 / 1024
            out.append(f"| {key} | {gen['files_per_dataset'][key]:,} | {mib:,.0f} |")
    else:
        out += [
            f"Demo data generated in {_s(gen.get('wall_seconds'))} s (peak RSS {_mib(gen.get('peak_rss_kib'))} MiB): "
            f"{gen.get('files', 0):,} files, {sum((gen.get('rows_per_dataset') or {}).values()):,} rows.",
            "",
            "| dataset | files | rows |",
            "| --- | ---: | ---: |",
        ]
        for key in sorted(gen.get("rows_per_dataset") or {}):
            out.append(f"| {key} | {gen['files_per_dataset'][key]:,} | {gen['rows_per_dataset'][key]:,} |")
    out += [
        "",
        "### The three implementations",
        "",
        "| run | wall s | peak RSS MiB | exit | what it does |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| (a) full refresh through Dagster | {_s(full.get('wall_seconds'))} | {_mib(full.get('peak_rss_kib'))} "
        f"| {full.get('exit_code', '–')} | ingest with contracts, quarantine and provenance; dbt build with tests; "
        "quality gate; publish a release |",
        f"| (b) baseline: one DuckDB SQL script | {_s(base.get('wall_seconds'))} | {_mib(base.get('peak_rss_kib'))} "
        f"| {base.get('exit_code', '–')} | the core transformations of the CSV sources, no validation "
        f"(CP1252 decoding {_s(base.get('transcode_seconds'))} s, SQL {_s(base.get('sql_seconds'))} s) |",
        f"| (c) pandas | {_s(pand.get('wall_seconds'))} | {_mib(pand.get('peak_rss_kib'))} "
        f"| {pand.get('exit_code', '–')} | the same core computation as (b) in pandas "
        f"(read {_s(pand.get('load_seconds'))} s, compute {_s(pand.get('compute_seconds'))} s) |",
        f"| incremental: one new month ({nxt.get('month', '–')}, {nxt.get('files', 0)} files) "
        f"| {_s(inc.get('wall_seconds'))} | {_mib(inc.get('peak_rss_kib'))} | {inc.get('exit_code', '–')} "
        "| the nightly job again after the full refresh: dbt rebuilds the months and periods it touches |",
        f"| re-delivered month ({rdm.get('month', '–')}, {rdm.get('files', 0)} file) "
        f"| {_s(red.get('wall_seconds'))} | {_mib(red.get('peak_rss_kib'))} | {red.get('exit_code', '–')} "
        "| politie re-sends its newest month with one count corrected |",
        f"| nothing new | {_s(none.get('wall_seconds'))} | {_mib(none.get('peak_rss_kib'))} "
        f"| {none.get('exit_code', '–')} | the nightly job without a new file: dbt, gate and publication skipped |",
        f"| Dagster definitions load (median of {len(defs_wall)}) | {_s(defs)} | "
        f"{_mib(max((s['peak_rss_kib'] for s in st.get('defs', [])), default=None))} | | import + resolve "
        f"`orchestration.definitions`; whole process {', '.join(_s(w) for w in defs_wall)} s |",
    ]
    clone = st.get("clone")
    if clone:
        for key, label in (
            ("git_clone", "git clone"),
            ("make_install", "make install (fresh venv)"),
            ("make_run", "make run (first run)"),
        ):
            c = clone.get(key, {})
            out.append(
                f"| fresh clone: {label} | {_s(c.get('wall_seconds'))} | {_mib(c.get('peak_rss_kib'))} "
                f"| {c.get('exit_code', '–')} | |"
            )
    out.append("")

    stopped = [f"{label}: {s['stopped']}" for label, s in (("(a)", full), ("(b)", base), ("(c)", pand),
               ("incremental", inc), ("re-delivery", red), ("nothing new", none)) if s.get("stopped")]  # fmt: skip
    if stopped:
        out += ["Stopped before the end: " + "; ".join(stopped) + ". Its wall time is a lower bound.", ""]
    fw, bw, pw, iw = (s.get("wall_seconds") for s in (full, base, pand, inc))
    rw, nw = red.get("wall_seconds"), none.get("wall_seconds")
    if pand.get("stopped"):
        pw = None  # no ratio from an unfinished run; the text above says how far it got
    ratios = []
    if fw and bw:
        ratios.append(f"full/(b) = **{fw / bw:.1f}×** (target ≤ {full_target:g}×)")
    if fw and pw:
        ratios.append(f"(c)/full = **{pw / fw:.2f}** (target > 1: pandas slower than the platform)")
    if fw and iw:
        ratios.append(f"new month/full = **{iw / fw:.0%}** (target ≤ {inc_target:.0%})")
    if fw and rw:
        ratios.append(f"re-delivered month/full = **{rw / fw:.0%}**")
    if fw and nw:
        ratios.append(f"nothing new/full = **{nw / fw:.0%}** (target ≤ {TARGETS['nothing_new_share']:.0%})")
    if ratios:
        out += ["Ratios: " + "; ".join(ratios) + ".", ""]

    peak = max((s.get("peak_rss_kib") or 0 for s in (full, inc) if s), default=0)  # the platform's runs
    full_b = fw / bw if fw and bw else None
    c_full = pw / fw if fw and pw else None
    inc_full = iw / fw if fw and iw else None
    targets = [
        (
            f"full refresh ≤ {full_target:g} × baseline (b)",
            f"{full_b:.1f}×" if full_b else "–",
            bool(full_b and full_b <= full_target),
        ),
        _rate_target(full, "csv", "CSV", "csv_rows_per_second"),
        _rate_target(full, "xlsx", "Excel", "xlsx_rows_per_second"),
        _pandas_target(c_full, pand, fw),
        (
            f"one new month ≤ {inc_target:.0%} of full",
            f"{inc_full:.0%}" if inc_full else "–",
            bool(inc_full and inc_full <= inc_target),
        ),
        (
            f"nothing new ≤ {TARGETS['nothing_new_share']:.0%} of full",
            f"{nw / fw:.0%}" if fw and nw else "–",
            bool(fw and nw and nw / fw <= TARGETS["nothing_new_share"]),
        ),
        ("peak RSS < 4 GiB (full and incremental refresh)", f"{peak / GIB:.2f} GiB", bool(peak and peak / GIB < 4.0)),
        ("definitions load < 3 s", f"{_s(defs)} s", bool(defs is not None and defs < 3.0)),
    ]
    out += ["| target | measured | met |", "| --- | --- | --- |"]
    out += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in targets]
    out.append("")
    out += ["### Per stage", ""]
    out += _stage_table(full, "(a) full refresh")
    if inc:
        out += _stage_table(inc, "Incremental refresh (one new month)")
    if red:
        out += _stage_table(red, "Refresh after a re-delivered month")
    return out


def write_report(results_dir: Path, out: Path) -> None:
    """Write the report from every ``<scale>.json`` in ``results_dir`` (region first)."""
    order = {"region": 0, "national": 1}
    results = sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in results_dir.glob("*.json")),
        key=lambda r: order.get(r["scale"], 9),
    )
    lines = [
        "# Benchmark",
        "",
        "Generated by `make bench` (`benchmarks/run.py`; re-render with `benchmarks/report.py`) from",
        "`benchmarks/results/*.json`. Do not edit the figures by hand. What each run does and how it is",
        "measured: `benchmarks/README.md`. The reading of these figures and the scaling limits: `docs/scaling.md`.",
        "",
    ]
    for res in results:
        lines += _scale_section(res)
    reading = HERE / "reading.md"
    if reading.exists():
        lines += ["## Reading", "", reading.read_text(encoding="utf-8").strip(), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    results_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results"
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE.parent / "docs" / "benchmark.md"
    write_report(results_dir, target)
