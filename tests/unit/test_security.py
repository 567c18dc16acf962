"""Security: file modes of the data home, archive retention, the UI's bind address, no secrets in the repo."""

from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.homes import platform, settings, warehouse
from wijkbeeld.housekeeping import apply_archive_retention, secure_private_files
from wijkbeeld.publish import publish_release
from wijkbeeld.settings import REPO_ROOT

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_private_folders_and_files_are_owner_only(home: Path) -> None:
    s = settings().ensure()
    delivered = s.archive / "politie" / "misdrijven" / "abc_misdrijven-202401.csv"
    delivered.parent.mkdir(parents=True)
    delivered.parent.chmod(0o755)
    delivered.write_text("x")
    delivered.chmod(0o644)  # as a partner's upload arrives
    (s.quarantine / "bad.csv").write_text("x")
    s.warehouse_file.write_bytes(b"")
    s.warehouse_file.chmod(0o664)

    secure_private_files(s)

    for folder in s.private_dirs:
        assert _mode(folder) == 0o700, folder
    assert _mode(delivered.parent) == 0o700 and _mode(delivered) == 0o600
    assert _mode(s.quarantine / "bad.csv") == 0o600
    assert _mode(s.warehouse_file) == 0o600


def test_folders_get_explicit_modes_whatever_the_umask(home: Path) -> None:
    """With umask 000 the data home, publish/, releases/ and reports/ were world-writable; dagster/ was not private."""
    from wijkbeeld.ingest import ingest_dataset

    old = os.umask(0)
    try:
        s = settings().ensure()
        for folder in (s.home, s.landing, s.publish, s.releases, s.reports):
            assert _mode(folder) == 0o755, folder
        for folder in (s.archive, s.quarantine, s.warehouse_dir, s.logs, s.dagster):
            assert _mode(folder) == 0o700, folder
        assert s.dagster in s.private_dirs and s.dagster == Path(os.environ["DAGSTER_HOME"])
        bad = s.landing / "cbs" / "kerncijfers" / "kwb-24.csv"
        bad.parent.mkdir(parents=True)
        bad.write_text("x")
        assert ingest_dataset("cbs", "kerncijfers", *platform()).files_quarantined
        quarantined = s.quarantine / "cbs" / "kerncijfers"
        assert _mode(quarantined) == 0o700 and _mode(quarantined.parent) == 0o700
        page = s.reports / "quality" / "index.html"  # written by another step with the process umask
        page.parent.mkdir()
        page.write_text("<html>")
        assert _mode(page) == 0o666
        secure_private_files(s)
        assert _mode(page) == 0o644 and _mode(page.parent) == 0o755
    finally:
        os.umask(old)


def test_published_files_are_readable_by_all_and_writable_by_none(home: Path) -> None:
    s = settings().ensure()
    with duckdb.connect(str(s.warehouse_file)) as con:
        con.execute("CREATE SCHEMA mart")
        con.execute("CREATE TABLE mart.dim_gebied AS SELECT 'WK082601' AS gebiedcode")
    result = publish_release(
        warehouse=warehouse(),
        tables=["dim_gebied"],
        gate={},
        geografie_jaar=2024,
        perioden=[],
        code_versie="t",
        settings=s,
    )

    assert _mode(result.stable_path) == 0o444
    release = result.release.path
    assert _mode(release) == 0o755 and _mode(release / "parquet") == 0o755
    for path in release.rglob("*"):
        assert _mode(path) == (0o755 if path.is_dir() else 0o444), path
    assert _mode(s.publish) & 0o005 == 0o005 and _mode(s.releases) & 0o005 == 0o005


def _leveringen(s, rows: list[tuple[str, datetime]]) -> None:
    with duckdb.connect(str(s.warehouse_file)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute("CREATE TABLE meta.leveringen (archief_pad VARCHAR, geladen_op TIMESTAMP)")
        con.executemany("INSERT INTO meta.leveringen VALUES (?, ?)", [(p, t.replace(tzinfo=None)) for p, t in rows])


def _file(path: Path, mtime: datetime) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Omschrijving;Straat\nburen maken ruzie;Dorpsstraat\n")
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def test_archive_retention_counts_from_loading_and_covers_quarantine(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIJKBEELD_ARCHIVE_RETENTION_DAYS", "30")
    s = settings().ensure()
    folder = s.archive / "gemeente" / "meldingen"
    expired = _file(folder / "aaa_meldingen-GM0826-202301.csv", NOW - timedelta(days=400))
    # delivered with an old modification time (rsync -a), but loaded yesterday: kept
    old_mtime = _file(folder / "bbb_meldingen-GM0826-202302.csv", NOW - timedelta(days=400))
    recent = _file(folder / "ccc_meldingen-GM0826-202303.csv", NOW - timedelta(days=1))
    orphan = _file(folder / "ddd_unknown.csv", NOW - timedelta(days=31))  # no delivery record: by its file time
    redelivered = _file(folder / "eee_meldingen-GM0826-202304.csv", NOW - timedelta(days=400))
    _leveringen(
        s,
        [
            (expired.relative_to(s.home).as_posix(), NOW - timedelta(days=31)),
            (old_mtime.relative_to(s.home).as_posix(), NOW - timedelta(days=1)),
            (recent.relative_to(s.home).as_posix(), NOW - timedelta(days=1)),
            (redelivered.relative_to(s.home).as_posix(), NOW - timedelta(days=90)),
            (redelivered.relative_to(s.home).as_posix(), NOW - timedelta(days=2)),  # loaded again: newest counts
        ],
    )
    q = s.quarantine / "gemeente" / "meldingen"
    q_old = _file(q / "meldingen-GM0826-202201.csv", NOW - timedelta(days=40))
    q_old_reason = _file(q / "meldingen-GM0826-202201.csv.reason.json", NOW - timedelta(days=40))
    q_new = _file(q / "meldingen-GM0826-202405.csv", NOW - timedelta(days=40))
    q_new_reason = _file(q / "meldingen-GM0826-202405.csv.reason.json", NOW - timedelta(days=3))

    removed = apply_archive_retention(settings(), warehouse(), now=NOW)

    gone = [expired, orphan, q_old, q_old_reason]
    assert sorted(removed) == sorted(p.relative_to(s.home).as_posix() for p in gone)
    assert not any(p.exists() for p in gone)
    assert all(p.exists() for p in (old_mtime, recent, redelivered, q_new, q_new_reason))


def test_archive_retention_zero_keeps_everything(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKBEELD_ARCHIVE_RETENTION_DAYS", "0")
    s = settings().ensure()
    old = _file(s.archive / "politie" / "misdrijven" / "aaa_misdrijven-202001.csv", NOW - timedelta(days=4000))
    assert apply_archive_retention(s, warehouse(), now=NOW) == [] and old.exists()


def test_default_retention_is_a_year(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIJKBEELD_ARCHIVE_RETENTION_DAYS", raising=False)
    assert settings().archive_retention_days == 365


def test_ui_binds_to_localhost_only() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    ui = re.search(r"^ui:.*?(?=^\S)", makefile + "\nend:", re.S | re.M).group(0)
    assert "dagster dev" in ui and "-h 127.0.0.1" in ui
    for path in (REPO_ROOT / "Makefile", REPO_ROOT / "workspace.yaml"):
        assert "0.0.0.0" not in path.read_text()


SECRET_PATTERNS = [
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"AKIA[0-9A-Z]{16}",  # AWS access key id
    r"hooks\.slack\.com/services/T[0-9A-Z]+/",
    r"xox[abpr]-[0-9A-Za-z-]{10,}",  # Slack tokens
    r"gh[pousr]_[0-9A-Za-z]{30,}",  # GitHub tokens
    r"(?i:password|passwd|secret|api_key|apikey)\s*[:=]\s*['\"][^'\"\s]{8,}['\"]",
]


def test_no_secrets_in_the_repository() -> None:
    files = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    pattern = re.compile("|".join(SECRET_PATTERNS))
    hits = []
    for name in files:
        path = REPO_ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000 or name.startswith("tests/"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{name}: {m.group(0)[:40]}" for m in pattern.finditer(text)]
    assert hits == []


def test_stale_decoded_temp_copies_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A killed ingest leaves its decoded copy of a partner file in the temp folder; the next refresh removes it."""
    import tempfile

    from wijkbeeld.housekeeping import STALE_TEMP_HOURS, remove_stale_temp_dirs

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / "wijkbeeld-ingest-abc"
    live = tmp_path / "wijkbeeld-ingest-def"
    other = tmp_path / "someone-else"
    for folder in (stale, live, other):
        folder.mkdir()
        (folder / "staged.csv").write_text("buren maken ruzie")
    old = time.time() - (STALE_TEMP_HOURS + 1) * 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))

    removed = remove_stale_temp_dirs()

    assert removed == [f"removed stale temp folder {stale}"]
    assert not stale.exists() and live.exists() and other.exists()


def test_housekeeping_sensor_after_a_daemon_run(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs launched by the daemon/UI get the same housekeeping as `wijkbeeld refresh` (which tags its runs)."""
    from dagster import DagsterInstance, build_run_status_sensor_context, job, op

    from orchestration.sensors import housekeeping_after_run
    from wijkbeeld.notify import NOTIFIED_TAG

    monkeypatch.setenv("WIJKBEELD_ARCHIVE_RETENTION_DAYS", "30")
    s = settings().ensure()
    fresh = s.archive / "politie" / "misdrijven" / "aaa_misdrijven-202401.csv"
    fresh.parent.mkdir(parents=True)
    fresh.write_text("x")
    fresh.chmod(0o644)
    old = _file(s.archive / "politie" / "misdrijven" / "bbb_orphan.csv", datetime.now(UTC) - timedelta(days=60))

    @op
    def noop() -> None:
        return None

    @job
    def probe() -> None:
        noop()

    with DagsterInstance.ephemeral() as instance:
        for tags in ({NOTIFIED_TAG: "wijkbeeld refresh"}, {}):
            result = probe.execute_in_process(instance=instance, tags=tags)
            context = build_run_status_sensor_context(
                sensor_name="housekeeping_after_run",
                dagster_instance=instance,
                dagster_run=result.dagster_run,
                dagster_event=result.get_run_success_event(),
            )
            housekeeping_after_run(context)
            if tags:  # the refresh did its own housekeeping: the sensor leaves it alone
                assert old.exists() and _mode(fresh) == 0o644

    assert not old.exists() and fresh.exists() and _mode(fresh) == 0o600
