"""Prepare the dbt project at install time: parse it once so Dagster loads the manifest, not the project.

Run by `make install`. dbt parse needs no database connection, so a placeholder warehouse path is fine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def main() -> int:
    env = dict(os.environ)
    env.setdefault("WIJKBEELD_WAREHOUSE", str(DBT_DIR / "target" / "parse-only.duckdb"))
    env["DBT_PROFILES_DIR"] = str(DBT_DIR)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), "parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--quiet"]
    return subprocess.run(cmd, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
