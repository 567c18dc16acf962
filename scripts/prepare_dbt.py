"""Prepare the dbt project: parse it so Dagster loads the manifest, not the project.

Run by `make` whenever a file of the dbt project changed (the Makefile rule of target/manifest.json) and by the
test session when the manifest is older than the project (tests/conftest.py). ``--if-stale`` parses only then.
dbt parse needs no database connection: the profile's defaults are fine (the platform passes its own --vars).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"
SOURCE_SUFFIXES = (".sql", ".yml", ".csv", ".py")


def stale() -> bool:
    """Whether a file of the dbt project is newer than the manifest (or there is no manifest)."""
    if not MANIFEST.is_file():
        return True
    built = MANIFEST.stat().st_mtime
    sources = (
        path
        for path in DBT_DIR.rglob("*")
        if path.suffix in SOURCE_SUFFIXES and not {"target", "logs"} & set(path.relative_to(DBT_DIR).parts)
    )
    return any(path.stat().st_mtime > built for path in sources)


def main(argv: list[str]) -> int:
    if "--if-stale" in argv and not stale():
        return 0
    env = {**os.environ, "DBT_PROFILES_DIR": str(DBT_DIR), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), "parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--quiet"]
    done = subprocess.run(cmd, env=env, check=False).returncode
    if done == 0:
        MANIFEST.touch()  # a parse that changed nothing keeps the old time stamp; the rule is satisfied now
    return done


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
