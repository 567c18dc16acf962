"""The `wijkbeeld` command line: demo data, refresh, partner-side validation, releases and rollback.

It is the top of the import graph (it runs the Dagster job, so it lives with the assembly). The settings are read
once, here, and passed on. User errors, bad settings included, print a one-line reason and exit non-zero; they
never show a Python traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.refresh import run_refresh
from wijkbeeld.demo import generate
from wijkbeeld.housekeeping import RefreshError
from wijkbeeld.ingest import validate_file
from wijkbeeld.publish import PublishError, list_releases, rollback
from wijkbeeld.report import ReportError, build_report
from wijkbeeld.settings import Settings, SettingsError, load_settings
from wijkbeeld.summary import published_summary
from wijkbeeld.warehouse import Warehouse


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _cmd_demo(args: argparse.Namespace, s: Settings) -> int:
    s.ensure()
    result = generate(s.landing, seed=args.seed, scale=args.scale)
    print(f"Demo extracts in {s.landing}: {result.files_written} written, {result.files_skipped} already there.")
    return 0


def _landing_is_empty(landing: Path) -> bool:
    return not any(p.is_file() for p in landing.rglob("*")) if landing.exists() else True


def _cmd_refresh(_: argparse.Namespace, s: Settings) -> int:
    try:
        outcome = run_refresh(s)
    except RefreshError as exc:
        raise UserError(f"refresh did not run: {exc}") from exc
    if outcome.nothing_new:
        current = f"release {outcome.release_id} stays current" if outcome.release_id else "nothing is published yet"
        print(f"Nothing new since the last build: dbt, the quality gate and publication were skipped; {current}.")
        return 0
    if outcome.published:
        print(published_summary(s, Warehouse.from_settings(s), new_release=outcome.new_release))
        return 0
    print("Refresh did NOT publish; the current publication is untouched.", file=sys.stderr)
    for check in outcome.failed_checks:
        print(f"  failed quality check: {check}", file=sys.stderr)
    for step in outcome.failed_steps:
        print(f"  failed step: {step}", file=sys.stderr)
    for error in outcome.errors:
        print(f"  error: {error.splitlines()[0][:500]}", file=sys.stderr)
    print(
        f"  details: quality report in {s.reports / 'quality'}; runs in the Dagster UI (make ui)",
        file=sys.stderr,
    )
    return 1


def _cmd_run(args: argparse.Namespace, s: Settings) -> int:
    s.ensure()
    if _landing_is_empty(s.landing) and not any(s.archive.rglob("*.*")):
        print("Landing folder is empty: generating the demo partner extracts first.")
        _cmd_demo(argparse.Namespace(seed=args.seed, scale="region"), s)
    return _cmd_refresh(args, s)


def _cmd_validate(args: argparse.Namespace, s: Settings) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    verdict = validate_file(path, args.dataset, settings=s, warehouse=Warehouse.from_settings(s))
    print(verdict.text())
    return 0 if verdict.accepted else 1


def _cmd_releases(_: argparse.Namespace, s: Settings) -> int:
    releases = list_releases(s)
    if not releases:
        print("No releases published yet (run `wijkbeeld refresh`).")
        return 0
    for r in releases:
        mark = "*" if r.is_current else " "
        rows = sum(r.row_counts.values())
        print(f"{mark} {r.release_id}  published {r.published_at:%Y-%m-%d %H:%M} UTC  {rows} rows  {r.code_versie}")
    return 0


def _cmd_report(_: argparse.Namespace, s: Settings) -> int:
    try:
        result = build_report(s, Warehouse.from_settings(s))
    except ReportError as exc:
        raise UserError(str(exc)) from exc
    print(
        f"Wijkprofiel report for release {result.release_id}, periode {result.periode[0]}: "
        f"{result.wijk_pages} wijk pages.\nOpen in a browser: {result.path}"
    )
    return 0


def _cmd_rollback(args: argparse.Namespace, s: Settings) -> int:
    try:
        release = rollback(args.release, s, Warehouse.from_settings(s))
    except PublishError as exc:
        raise UserError(str(exc)) from exc
    print(f"Release {release.release_id} is current again ({s.publish / 'wijkbeeld.duckdb'}).")
    _rebuild_report(s)
    return 0


def _rebuild_report(s: Settings) -> None:
    """Keep the wijkprofiel report in step with the current release after a rollback (a warning, not a
    failure: the rollback itself has happened)."""
    try:
        print(f"Wijkprofiel report rebuilt: {build_report(s, Warehouse.from_settings(s)).path}")
    except (ReportError, OSError) as exc:
        print(f"wijkbeeld: warning: the wijkprofiel report was not rebuilt: {exc}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wijkbeeld",
        description="wijkbeeld: partner extracts -> DuckDB -> dbt -> quality gate -> published wijk mart. "
        "The data home is $WIJKBEELD_HOME (default ./data).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="write deterministic demo partner extracts into the landing folder")
    p.add_argument("--scale", choices=["region", "national"], default="region")
    p.add_argument("--seed", type=int, default=2024)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("refresh", help="run the nightly job once: ingest -> dbt -> quality gate -> publish")
    p.set_defaults(func=_cmd_refresh)

    p = sub.add_parser("run", help="demo data when the landing folder is empty, then refresh (make run)")
    p.add_argument("--seed", type=int, default=2024)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="check one partner extract as ingest would (exit 0 = accepted)")
    p.add_argument("file", help="the extract to check")
    p.add_argument("--dataset", help="PARTNER/DATASET, e.g. politie/misdrijven (default: from the file name)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("releases", help="list the published releases (* = current)")
    p.set_defaults(func=_cmd_releases)

    p = sub.add_parser("report", help="(re)build the wijkprofiel HTML report from the current release")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("rollback", help="make an earlier release current again (atomic)")
    p.add_argument("release", help="release id, see `wijkbeeld releases`")
    p.set_defaults(func=_cmd_rollback)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, load_settings())
    except SettingsError as exc:
        print(f"wijkbeeld: {exc}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"wijkbeeld: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # unwritable data home, full disk: say what and where, no traceback
        print(f"wijkbeeld: cannot write {exc.filename or 'the data home'}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
