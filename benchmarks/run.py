"""The wijkbeeld benchmark (`make bench`): the platform against a plain-SQL baseline and pandas, same data.

In one process tree, each stage in its own child process (wall time and peak RSS per stage, from
os.wait4 — the child and the processes it waited for, e.g. dbt):

  generate     demo partner extracts (--scale region|national) into a fresh data home
  baseline     (b) benchmarks/baseline.sql: the core transformations as one DuckDB script, no platform
  pandas       (c) benchmarks/pandas_impl.py: the core indicator computation in pandas
  defs         Dagster definitions load time (a fresh process each time)
  full         (a) `wijkbeeld refresh`: the nightly job through Dagster (ingest, dbt, gate, publish)
  incremental  one new month of deliveries, then `wijkbeeld refresh` again
  redelivery   the newest politie month re-delivered with a correction, then `wijkbeeld refresh`
  nothing_new  `wijkbeeld refresh` once more without any new file
  clone        git clone of this repository, `make install` and `make run` (install time, first run)

Results go to benchmarks/results/<scale>.json; the report (--out, default docs/benchmark.md) is written
from every results file present, so a region and a national run share one report. No stage asserts a
time: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from report import write_report  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

BIN = Path(sys.executable).parent
GIB_KIB = 1024 * 1024
STAGES = ("generate", "baseline", "pandas", "defs", "full", "incremental", "clone")


def _rss_watchdog(proc: subprocess.Popen, max_rss_kib: int, stopped: list[str]) -> None:
    """Stop the stage's process group when its main process grows beyond ``max_rss_kib`` (the machine is
    shared: a stage must not push other work into the out-of-memory killer)."""
    status = Path(f"/proc/{proc.pid}/status")
    while proc.returncode is None:
        try:
            rss = int(status.read_text().split("VmRSS:")[1].split()[0])
        except (OSError, IndexError, ValueError):
            return
        if rss > max_rss_kib:
            stopped.append(f"stopped at {rss / GIB_KIB:.1f} GiB RSS (limit {max_rss_kib / GIB_KIB:.0f} GiB)")
            os.killpg(proc.pid, signal.SIGKILL)
            return
        time.sleep(0.5)


def run_stage(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    cwd: Path,
    log: Path,
    timeout: float | None = None,
    max_rss_kib: int | None = None,
) -> dict[str, object]:
    """Run one stage as a child process; wall time, peak RSS (KiB) and the JSON of its last stdout line.

    A stage that runs longer than ``timeout`` seconds or whose main process grows beyond ``max_rss_kib``
    is stopped (its whole process group) and marked so.
    """
    print(f"[bench] {name}: {' '.join(cmd)}", flush=True)
    with log.open("ab") as out:
        out.write(f"\n===== {name}: {' '.join(cmd)}\n".encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=out, start_new_session=True)
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL)) if timeout else None
        if timer:
            timer.start()
        stopped: list[str] = []
        if max_rss_kib:
            threading.Thread(target=_rss_watchdog, args=(proc, max_rss_kib, stopped), daemon=True).start()
        stdout = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.write(stdout)
    lines = [line for line in stdout.decode(errors="replace").splitlines() if line.strip()]
    payload: dict[str, object] = {}
    if lines:
        try:
            payload = json.loads(lines[-1])
        except json.JSONDecodeError:
            payload = {}
    result = {"wall_seconds": seconds, "peak_rss_kib": usage.ru_maxrss, "exit_code": proc.returncode, **payload}
    if timeout and proc.returncode == -signal.SIGKILL and seconds >= timeout:
        result["stopped"] = f"stopped after the stage timeout of {timeout:.0f} s"
    if stopped:
        result["stopped"] = stopped[0]
    print(f"[bench] {name}: {seconds:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB, exit {proc.returncode}")
    return result


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        mem_kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
    versions = {}
    for package in ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb", "pandas", "great-expectations"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:  # a missing package is reported, not fatal
            versions[package] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "loadavg_start": os.getloadavg(),
    }


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def clone_and_run(work: Path, log: Path) -> dict[str, object]:
    """`git clone` this repository, then time `make install` and `make run` in the clone, as a new user."""
    clone = work / "clone"
    if clone.exists():
        shutil.rmtree(clone)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIJKBEELD_", "DAGSTER_", "DBT_", "VIRTUAL_ENV"))}
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    result: dict[str, object] = {}
    git = ["git", "clone", "--quiet", str(REPO), str(clone)]
    result["git_clone"] = run_stage("clone: git clone", git, env, work, log)
    result["make_install"] = run_stage("clone: make install", ["make", "install"], env, clone, log)
    result["make_run"] = run_stage("clone: make run", ["make", "run"], env, clone, log)
    shutil.rmtree(clone, ignore_errors=True)
    return result


def link_landing(source: Path, landing: Path) -> dict[str, object]:
    """Hard-link (or copy) demo extracts generated earlier into the scratch landing folder."""
    started = time.perf_counter()
    files: dict[str, int] = {}
    size: dict[str, int] = {}
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        dest = landing / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)
        if not path.name.endswith(".complete"):
            key = "/".join(path.relative_to(source).parts[:2])
            files[key] = files.get(key, 0) + 1
            size[key] = size.get(key, 0) + path.stat().st_size
    return {
        "reused": str(source),
        "wall_seconds": time.perf_counter() - started,
        "files": sum(files.values()),
        "files_per_dataset": files,
        "bytes_per_dataset": size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="The wijkbeeld benchmark; see benchmarks/README.md.")
    parser.add_argument("--scale", choices=["region", "national"], default="region")
    parser.add_argument("--start", help="first month of demo data, YYYY-MM (default: the scale's default)")
    parser.add_argument("--end", help="last month of demo data, YYYY-MM (default: the scale's default)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a folder in /tmp); emptied first")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmark.md", help="the report to write")
    parser.add_argument("--results", type=Path, default=HERE / "results", help="folder of results JSON files")
    parser.add_argument("--skip", default="", help=f"comma-separated stages to leave out, of: {', '.join(STAGES)}")
    parser.add_argument("--defs-repeats", type=int, default=3)
    parser.add_argument(
        "--all-gemeenten",
        action="store_true",
        help="report on every gemeente: the platform (WIJKBEELD_ALLE_GEMEENTEN=true), (b) and (c); "
        "default: the region's gemeenten (seed regio_gemeenten)",
    )
    parser.add_argument("--note", default="", help="a remark printed with the figures (e.g. 'machine shared')")
    parser.add_argument(
        "--landing-from",
        type=Path,
        help="use demo extracts generated earlier (hard-linked into the scratch home) instead of generating",
    )
    parser.add_argument("--stage-timeout", type=float, help="stop a stage after this many seconds")
    parser.add_argument(
        "--max-rss-gib", type=float, default=10.0, help="stop a stage whose main process passes this RSS"
    )
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - set(STAGES):
        parser.error(f"unknown stage(s) in --skip: {', '.join(sorted(skip - set(STAGES)))}")

    work = (args.work or Path("/tmp") / f"wijkbeeld-bench-{args.scale}").resolve()
    if work.exists():
        shutil.rmtree(work)
    home = work / "home"
    home.mkdir(parents=True)
    log = work / "bench.log"
    env = dict(os.environ)
    env.update(
        WIJKBEELD_HOME=str(home),
        DAGSTER_HOME=str(home / "dagster"),
        DBT_PROFILES_DIR=str(REPO / "dbt_project"),
        PATH=f"{BIN}:{env.get('PATH', '')}",
    )
    if args.all_gemeenten:
        env["WIJKBEELD_ALLE_GEMEENTEN"] = "true"
    py = [sys.executable]
    landing = home / "landing"
    extra = ["--all-gemeenten"] if args.all_gemeenten else []
    period = [*(["--start", args.start] if args.start else []), *(["--end", args.end] if args.end else [])]

    results: dict[str, object] = {
        "scale": args.scale,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "note": args.note,
        "all_gemeenten": args.all_gemeenten,
        "machine": machine(),
        "stages": {},
    }
    stages: dict[str, object] = results["stages"]  # type: ignore[assignment]
    args.results.mkdir(parents=True, exist_ok=True)
    target = args.results / f"{args.scale}.json"

    def save() -> None:  # after every stage, so an interrupted run still leaves its figures
        target.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")

    if args.landing_from:
        stages["generate"] = link_landing(args.landing_from.resolve(), landing)
    else:
        cmd = [*py, str(HERE / "stages.py"), "generate", "--scale", args.scale, *period]
        stages["generate"] = run_stage("generate", cmd, env, REPO, log)
    save()
    t = args.stage_timeout
    cap = int(args.max_rss_gib * GIB_KIB)
    if "baseline" not in skip:
        cmd = [*py, str(HERE / "baseline.py"), str(landing), str(work / "baseline"), *extra]
        stages["baseline"] = run_stage("baseline (b)", cmd, env, REPO, log, t, cap)
        shutil.rmtree(work / "baseline", ignore_errors=True)
        save()
    if "pandas" not in skip:  # before (a): the refresh moves the landing files to the archive
        cmd = [*py, str(HERE / "pandas_impl.py"), str(landing), *extra]
        stages["pandas"] = run_stage("pandas (c)", cmd, env, REPO, log, t, cap)
        save()
    refresh = [str(BIN / "wijkbeeld"), "refresh"]
    steps = [*py, str(HERE / "stages.py"), "steps"]
    if "full" not in skip:
        stages["full"] = run_stage("full refresh (a)", refresh, env, REPO, log, t, cap)
        stages["full"]["dagster"] = run_stage("steps of (a)", steps, env, REPO, log)
        save()
        if "incremental" not in skip:
            cmd = [*py, str(HERE / "stages.py"), "next-month", "--scale", args.scale]
            stages["next_month"] = run_stage("next month", cmd, env, REPO, log)
            if stages["next_month"]["exit_code"] == 0:
                stages["incremental"] = run_stage("incremental refresh", refresh, env, REPO, log, t, cap)
                stages["incremental"]["dagster"] = run_stage("steps of incremental", steps, env, REPO, log)
            save()
            cmd = [*py, str(HERE / "stages.py"), "redeliver-month"]
            stages["redeliver_month"] = run_stage("re-delivered month", cmd, env, REPO, log)
            if stages["redeliver_month"]["exit_code"] == 0:
                stages["redelivery"] = run_stage("refresh after a re-delivery", refresh, env, REPO, log, t, cap)
                stages["redelivery"]["dagster"] = run_stage("steps of re-delivery", steps, env, REPO, log)
            save()
            stages["nothing_new"] = run_stage("refresh with nothing new", refresh, env, REPO, log, t, cap)
            save()
    if "defs" not in skip:
        stages["defs"] = [
            run_stage(f"defs load #{i + 1}", [*py, str(HERE / "stages.py"), "defs"], env, REPO, log)
            for i in range(args.defs_repeats)
        ]
        save()
    if "clone" not in skip:
        stages["clone"] = clone_and_run(work, log)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"]["loadavg_end"] = os.getloadavg()  # type: ignore[index]

    save()
    write_report(args.results, args.out)
    print(f"[bench] results in {target}; report in {args.out}; log in {log}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
