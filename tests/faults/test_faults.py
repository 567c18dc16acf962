"""Faults: a refresh killed (SIGKILL) during ingest and dbt, a publish killed half way and between its two
renames, a full disk, an unwritable data home.

The killed processes run in a subprocess (their own process group, so dbt dies with them) through
tests/faults/pausing.py, which wraps the step at the chosen point: the process prints ``paused at <point>`` and
sleeps there, and the test kills the whole group. The product code has no test hook. One scenario on the small
hand-made extracts: an old release, a refresh killed during ingest, one killed during dbt, a publish killed while it
builds its release (the step a refresh ends with; it leaves the same on disk), then a plain refresh that must
recover by itself.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests import extracts
from tests.homes import platform, settings
from wijkbeeld.publish import PublishError, current_release, list_releases, publish_release, recover
from wijkbeeld.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIJKBEELD_")}
    env.update(
        WIJKBEELD_HOME=str(home),
        DAGSTER_HOME=str(home.parent / "dagster"),
        DBT_PROFILES_DIR=str(REPO / "dbt_project"),
        WIJKBEELD_SETTLE_SECONDS="0",
        WIJKBEELD_MIN_FREE_MB="0",
    )
    env.update(extra)
    return env


def refresh(home: Path, pause: str | None = None, *command: str, **extra: str) -> subprocess.CompletedProcess:
    """Run `wijkbeeld refresh` (or, with ``pause``, ``command`` under tests/faults/pausing.py: by default a refresh)
    and SIGKILL its process group once it paused there."""
    env = _env(home, **extra)
    args = ["-m", "tests.faults.pausing", pause, *(command or ["refresh"])] if pause else ["-m", "orchestration.cli"]
    proc = subprocess.Popen(
        [sys.executable, *args, *([] if pause else ["refresh"])],
        env=env,
        stdout=subprocess.DEVNULL if pause else subprocess.PIPE,  # only stderr is read while it runs
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=REPO,
    )
    watchdog = threading.Timer(600, lambda: os.killpg(proc.pid, signal.SIGKILL))
    watchdog.start()
    try:
        if pause is None:
            out, err = proc.communicate()
            return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.strip() == f"paused at {pause}":
                os.killpg(proc.pid, signal.SIGKILL)
                break
        out, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, f"never paused at {pause}:\n{''.join(seen)[-3000:]}{err}"
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(seen) + err)
    finally:
        watchdog.cancel()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _state(home: Path, tmp: Path) -> dict:
    """What a user and the next run see: the published release, files in landing/archive, deliveries."""
    # read a copy of the warehouse (+ WAL): opening the real one would replay/alter what the kill left
    copy = tmp / "wh-copy"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for f in (home / "warehouse").glob("wijkbeeld.duckdb*"):
        shutil.copy2(f, copy / f.name)
    with duckdb.connect(str(copy / "wijkbeeld.duckdb")) as con:
        loads = dict(con.execute("SELECT bron_sha256, count(*) FROM meta.leveringen GROUP BY 1").fetchall())
    stable = home / "publish" / "wijkbeeld.duckdb"
    with duckdb.connect(str(stable), read_only=True) as con:
        history = con.execute("SELECT release_id FROM mart.publicatie ORDER BY volgnummer").fetchall()
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        v05 = None
        if "fct_indicator_waarde" in tables:
            v05 = con.execute(
                "SELECT waarde FROM mart.fct_indicator_waarde WHERE gebiedcode = 'WK082601' "
                "AND indicator_code = 'V05' AND periode = '2024' AND periode_type = 'jaar'"
            ).fetchone()[0]
    releases = home / "publish" / "releases"
    return {
        "stable_sha": _sha(stable),
        "current": os.readlink(home / "publish" / "current").split("/")[-1],
        "shown_release": history[-1][0],
        "v05": v05,
        "releases": sorted(p.name for p in releases.iterdir() if not p.name.startswith(".")),
        "temp": sorted(p.name for p in releases.glob(".tmp-*")),
        "landing": {_sha(p): p.name for p in (home / "landing").rglob("*") if p.is_file() and p.suffix != ".complete"},
        "archived": {_sha(p): p.name for p in (home / "archive").rglob("*") if p.is_file()},
        "loads": loads,
    }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """An old release (published directly, cheap), every hand-made extract in landing, two killed refreshes
    (ingest, dbt), a killed publish (of a tiny warehouse: its half-built release is what a killed refresh leaves)
    and a plain refresh."""
    base = tmp_path_factory.mktemp("faults")
    home = base / "data"
    extracts.all_extracts(home / "landing")
    delivered = {_sha(p): p.name for p in (home / "landing").rglob("*") if p.is_file() and p.suffix != ".complete"}
    old_mart = base / "old.duckdb"
    with duckdb.connect(str(old_mart)) as con:
        con.execute("CREATE SCHEMA mart")
        con.execute("CREATE TABLE mart.oude_release AS SELECT 'oud' AS marker")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WIJKBEELD_HOME", str(home))
        s = settings()
        old = publish_release(
            warehouse=Warehouse(path=old_mart, spill_dir=base / "spill"),
            tables=["oude_release"],
            gate={},
            geografie_jaar=2024,
            perioden=[],
            code_versie="old",
            settings=s,
        ).release.release_id
    states: dict = {"home": home, "delivered": delivered, "old": old}
    for point in ("ingest", "dbt"):
        killed = refresh(home, pause=point)
        states[point] = _state(home, base) | {"stderr": killed.stderr}
    tiny = base / "tiny.duckdb"
    with duckdb.connect(str(tiny)) as con:
        con.execute("CREATE SCHEMA mart")
        con.execute("CREATE TABLE mart.dim_gebied AS SELECT 'nieuw' AS marker")
    killed = refresh(home, "publish", "publish", str(tiny), "dim_gebied")
    states["publish"] = _state(home, base) | {"stderr": killed.stderr}
    final = refresh(home)
    assert final.returncode == 0, final.stderr[-3000:]
    states["final"] = _state(home, base) | {"stdout": final.stdout}
    yield states


def _old_release_untouched(state: dict, scenario: dict) -> None:
    assert state["current"] == state["shown_release"] == scenario["old"]  # `current` and the stable file agree
    assert state["releases"] == [scenario["old"]]
    assert state["v05"] is None  # the old release's content, not a mix with the new mart


def test_killed_during_ingest_keeps_the_old_release_and_every_file(scenario: dict) -> None:
    state, delivered = scenario["ingest"], scenario["delivered"]
    _old_release_untouched(state, scenario)
    assert state["landing"] | state["archived"] == delivered  # no file lost
    # killed right after the first batch's COMMIT: its files are loaded once and still in landing
    assert state["loads"] and set(state["loads"].values()) == {1}
    assert set(state["loads"]) <= set(state["landing"]) and state["archived"] == {}


def test_killed_during_dbt_ingested_every_file_exactly_once(scenario: dict) -> None:
    state, delivered = scenario["dbt"], scenario["delivered"]
    _old_release_untouched(state, scenario)
    assert state["landing"] == {}
    assert set(state["archived"]) == set(delivered)
    assert state["loads"] == dict.fromkeys(delivered, 1)  # the committed-not-archived file was not loaded again


def test_killed_during_publish_leaves_the_old_release_published(scenario: dict) -> None:
    state, before = scenario["publish"], scenario["dbt"]
    assert "paused at publish" in state["stderr"]
    _old_release_untouched(state, scenario)
    assert state["stable_sha"] == before["stable_sha"]
    assert len(state["temp"]) == 1  # the half-built release exists under a temp name only
    assert state["loads"] == before["loads"]


def test_next_refresh_recovers_by_itself(scenario: dict) -> None:
    final, home, old = scenario["final"], scenario["home"], scenario["old"]
    assert final["current"] == final["shown_release"] != old
    assert final["v05"] == 20.0  # the hand-computed value (tests/integration/test_end_to_end.py)
    assert final["releases"] == sorted([old, final["current"]])
    assert final["temp"] == [] and not list((home / "publish").glob(".*.tmp"))
    assert final["landing"] == {} and set(final["archived"]) == set(scenario["delivered"])
    assert final["loads"] == dict.fromkeys(scenario["delivered"], 1)
    assert final["current"] in final["stdout"]
    # what a night run leaves: private folders owner-only, published files read-only for everyone
    for path in (home / "archive", home / "quarantine", home / "warehouse", home / "logs"):
        assert path.stat().st_mode & 0o777 == 0o700, path
    assert (home / "warehouse" / "wijkbeeld.duckdb").stat().st_mode & 0o777 == 0o600
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in (home / "archive").rglob("*") if p.is_file())
    assert (home / "publish" / "wijkbeeld.duckdb").stat().st_mode & 0o777 == 0o444


def test_the_refresh_builds_an_offline_dbt_docs_site(scenario: dict) -> None:
    docs = scenario["home"] / "reports" / "dbt-docs"
    html = (docs / "index.html").read_text(encoding="utf-8")
    assert "fct_indicator_waarde" in html  # manifest and catalog are embedded (works from file://)
    # nothing loaded from the internet (Angular's own URL parser assigns "http://[::1]": not a load)
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//(?!\[::1\])""", html)
    assert "cloudfront.net" not in html
    manifest = json.loads((docs / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False


# ----------------------------------------------------------------- publish swap, disk full, unwritable home


def _tiny_warehouse(home: Path, marker: str) -> None:
    (home / "warehouse").mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home / "warehouse" / "wijkbeeld.duckdb")) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS mart")
        con.execute(f"CREATE OR REPLACE TABLE mart.dim_gebied AS SELECT range AS i, '{marker}' AS marker FROM range(5)")


def _publish(home: Path) -> str:
    s, w = platform()
    return publish_release(
        warehouse=w,
        tables=["dim_gebied"],
        gate={},
        geografie_jaar=2024,
        perioden=["2024"],
        code_versie="t",
        settings=s,
    ).release.release_id


def _marker(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT DISTINCT marker FROM mart.dim_gebied").fetchone()[0]


def test_kill_between_current_and_stable_swap_is_repaired(home: Path) -> None:
    _tiny_warehouse(home, "A")
    first = _publish(home)
    _tiny_warehouse(home, "B")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.pausing", "swap", "publish"],
        env=_env(home),
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=REPO,
    )
    assert proc.stderr.readline().strip() == "paused at swap"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stable = home / "publish" / "wijkbeeld.duckdb"
    new = current_release(settings())
    assert new.release_id != first and _marker(stable) == "A"  # committed, the stable file not yet swapped

    done = recover(*platform())

    assert done and new.release_id in done[-1]
    assert _marker(stable) == "B"
    with duckdb.connect(str(stable), read_only=True) as con:
        rows = con.execute("SELECT release_id, gebeurtenis FROM mart.publicatie ORDER BY volgnummer").fetchall()
    assert rows == [(first, "publicatie"), (new.release_id, "publicatie")]
    assert not list((home / "publish").glob(".*.tmp"))
    events = [json.loads(line)["event"] for line in (home / "publish" / "history.jsonl").read_text().splitlines()]
    assert events == ["publish", "recover"]  # the killed publish never wrote its line; the repair did
    assert recover(*platform()) == []  # idempotent


def test_disk_full_while_publishing_is_a_clear_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated at the write boundary (copying the release file), which works for any user."""
    _tiny_warehouse(home, "A")
    first = _publish(home)
    _tiny_warehouse(home, "B")

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(home / "publish" / "x.tmp"))

    with monkeypatch.context() as mp:
        mp.setattr("wijkbeeld.publish.shutil.copyfile", full)
        with pytest.raises(PublishError, match=r"No space left on device.*disk full.*not changed"):
            _publish(home)

    assert current_release(settings()).release_id == first and _marker(home / "publish" / "wijkbeeld.duckdb") == "A"
    assert [r.release_id for r in list_releases(settings())][-1] == first
    # the next publish cleans up and succeeds
    assert _publish(home) != first and _marker(home / "publish" / "wijkbeeld.duckdb") == "B"


def _mount_tmpfs(path: Path, options: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def _cli(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args], env=_env(home, **extra), capture_output=True, text=True
    )


def test_unwritable_data_home_is_a_clear_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    mounted = _mount_tmpfs(ro, "ro,size=1m")
    if not mounted:
        if os.geteuid() == 0:
            pytest.skip("root without mount: permissions cannot make a folder unwritable")
        ro.mkdir()
        ro.chmod(0o555)
    try:
        done = _cli(ro / "data", "refresh")
    finally:
        if mounted:
            subprocess.run(["umount", str(ro)], check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "not writable" in done.stderr or "cannot write" in done.stderr, done.stderr
    assert str(ro / "data") in done.stderr


def test_too_little_free_space_is_refused_before_anything_runs(tmp_path: Path) -> None:
    done = _cli(tmp_path / "data", "refresh", WIJKBEELD_MIN_FREE_MB=str(10**9))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "not enough free disk space" in done.stderr and "WIJKBEELD_MIN_FREE_MB" in done.stderr
    notified = (tmp_path / "data" / "logs" / "notifications.log").read_text()
    assert "not enough free disk space" in notified


def test_a_disk_that_fills_up_during_the_refresh_fails_clearly(tmp_path: Path) -> None:
    """A real full disk: a 2 MB tmpfs as data home (needs root; the mocked test above covers the rest)."""
    small = tmp_path / "small"
    if not _mount_tmpfs(small, "size=2m"):
        pytest.skip("needs root and mount to make a tiny filesystem")
    try:
        home = small / "data"
        extracts.all_extracts(home / "landing")
        delivered = [p.name for p in (home / "landing").rglob("*") if p.is_file()]
        env = {"DAGSTER_HOME": str(tmp_path / "dagster")}  # Dagster's run storage on a disk with room
        done = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "refresh"],
            env=_env(home, **env),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode != 0
        tail = done.stderr[done.stderr.rfind("Refresh did NOT publish") :]
        assert "Refresh did NOT publish" in done.stderr, done.stderr[-3000:]
        assert "no space left on device" in tail.lower(), tail  # the root cause, not a follow-up error
        assert not (home / "publish" / "wijkbeeld.duckdb").exists()
        kept = {p.name.split("_", 1)[-1] for p in (home / "archive").rglob("*") if p.is_file()}
        kept |= {p.name for p in (home / "landing").rglob("*") if p.is_file() and not p.name.endswith(".complete")}
        kept |= {p.name for p in (home / "quarantine").rglob("*") if p.is_file()}
        assert set(delivered) <= kept, "a partner file was lost"
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_dbt_docs_open_offline_in_headless_chromium(scenario: dict) -> None:
    """The docs page renders a model from file:// and requests nothing but local files."""
    chromium = Path(os.environ.get("WIJKBEELD_CHROMIUM", "/usr/bin/chromium"))
    sync_api = pytest.importorskip("playwright.sync_api")
    if not chromium.exists():
        pytest.skip(
            f"{chromium} missing (scripts/ensure_chromium.sh installs it; tests/unit/test_report.py fails then)"
        )
    index = scenario["home"] / "reports" / "dbt-docs" / "index.html"
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{index.as_uri()}#!/model/model.wijkbeeld.fct_indicator_waarde")
            page.get_by_text("indicator_code").first.wait_for(timeout=30_000)  # a column of the model
        finally:
            browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(("file://", "data:", "blob:"))] == []
