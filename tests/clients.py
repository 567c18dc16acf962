"""A separate venv with the client libraries BI users have (tests/bi_clients.txt: DuckDB 1.1, pyarrow, pandas,
polars), to read a release the way they do. Built on first use from those pinned versions (the package registry
is the only download) and cached in ``.venv-bi-clients/``: it is rebuilt only when bi_clients.txt changes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "tests" / "bi_clients.txt"
VENV = Path(os.environ.get("WIJKBEELD_BI_CLIENTS_VENV", REPO / ".venv-bi-clients"))


def client_python() -> Path:
    """The interpreter of the clients venv, built (under a lock) if it is missing or out of date."""
    stamp = VENV / f".installed-{hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]}"
    python = VENV / "bin" / "python"
    if stamp.exists():
        return python
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / ".venv-bi-clients.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            shutil.rmtree(VENV, ignore_errors=True)
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", str(VENV)], check=True)
            pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
            stamp.touch()
    return python


def run_client(script: str, *args: str) -> dict:
    """Run ``script`` with the clients venv's Python; it prints one JSON object, which is returned."""
    done = subprocess.run(
        [str(client_python()), "-c", script, *args], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)
