"""Publication: immutable releases, atomic swap of the stable file, retention, rollback.

Each test builds a tiny warehouse with two mart tables whose rows all carry a ``marker`` value, so a
reader can tell which release it sees and whether it ever sees a mix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from tests.homes import platform, settings
from wijkbeeld.publish import (
    PublishError,
    UnknownReleaseError,
    current_release,
    list_releases,
    publish_release,
    rollback,
    summary,
)
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

TABLES = ["dim_gebied", "fct_indicator_waarde"]
CHECKS = [{"name": "uniek_gebied"}, {"name": "niveau_toegestaan"}]
GATE = {"resultaat": "geslaagd", "rapport": {"tables": {"dim_gebied": {"expectations": CHECKS}}}}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("WIJKBEELD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WIJKBEELD_KEEP_RELEASES", raising=False)
    return settings().ensure()


def make_warehouse(s: Settings, marker: str, n: int, *, reverse: bool = False) -> None:
    """(Re)write the mart tables: ``n`` wijken and two indicator rows per wijk, all tagged ``marker``."""
    order = "DESC" if reverse else "ASC"
    with duckdb.connect(str(s.warehouse_file)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS mart")
        con.execute(
            f"""
            CREATE OR REPLACE TABLE mart.dim_gebied AS
            SELECT printf('WK0826%02d', i) AS gebiedcode, 'Wijk ' || i AS gebiedsnaam, 'wijk' AS niveau,
                   (100 * i)::BIGINT AS inwoners, ? AS marker
            FROM range(1, ? + 1) r(i) ORDER BY i {order}
            """,
            [marker, n],
        )
        con.execute(
            f"""
            CREATE OR REPLACE TABLE mart.fct_indicator_waarde AS
            SELECT g.gebiedcode, ind AS indicator_code, '2024' AS periode,
                   CASE WHEN ind = 'misdrijven' THEN NULL ELSE round(g.inwoners / 7.0, 1) END AS waarde,
                   CASE WHEN ind = 'misdrijven' THEN 'onderdrukt' ELSE 'ok' END AS status, g.marker
            FROM mart.dim_gebied g, (VALUES ('inwoners'), ('misdrijven')) v(ind)
            ORDER BY g.gebiedcode {order}, ind
            """
        )


def publish(s: Settings, **overrides):
    args = {
        "warehouse": Warehouse.from_settings(s),
        "settings": settings(),  # read now: a test may have changed a setting after creating its home
        "tables": TABLES,
        "gate": GATE,
        "geografie_jaar": 2024,
        "perioden": ["2024", "2024-07/2025-06"],
        "code_versie": "test-1",
    }
    return publish_release(**{**args, **overrides})


def markers(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {m for (m,) in con.execute("SELECT DISTINCT marker FROM mart.dim_gebied").fetchall()}


def rows(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM {relation}").fetchall(), key=repr)


def history(s: Settings) -> list[dict]:
    return [json.loads(line) for line in (s.publish / "history.jsonl").read_text().splitlines()]


def test_publish_creates_release_stable_file_symlink_and_parquet(home: Settings) -> None:
    make_warehouse(home, "A", 5)
    result = publish(home)

    assert result.changed
    release = result.release
    assert release.path == home.releases / release.release_id
    assert release.is_current and current_release(settings()) == release
    assert release.row_counts == {"dim_gebied": 5, "fct_indicator_waarde": 10}
    assert (home.publish / "current").is_symlink()
    assert os.readlink(home.publish / "current") == f"releases/{release.release_id}"
    assert (home.publish / "current" / "wijkbeeld.duckdb").is_file()
    stable = home.publish / "wijkbeeld.duckdb"
    assert result.stable_path == stable
    assert stable.stat().st_ino != release.duckdb_path.stat().st_ino  # a copy, not the release file itself
    assert not list(home.publish.glob(".*.tmp")) and not list(home.releases.glob(".tmp-*"))

    with duckdb.connect(str(home.warehouse_file), read_only=True) as wh:
        for table in TABLES:
            expected = rows(wh, f"mart.{table}")
            assert rows(wh, f"read_parquet('{release.parquet_dir / (table + '.parquet')}')") == expected
            with duckdb.connect(str(stable), read_only=True) as pub:
                assert rows(pub, f"mart.{table}") == expected
    with duckdb.connect(str(stable), read_only=True) as pub:
        (publicatie,) = pub.execute("SELECT * FROM mart.publicatie").fetchall()
        columns = [c[0] for c in pub.description]
    record = dict(zip(columns, publicatie, strict=True))
    assert record["release_id"] == release.release_id
    assert record["geografie_jaar"] == 2024
    assert record["perioden"] == "2024,2024-07/2025-06"
    # plain columns, no JSON: one row count per table, the gate's verdict and how many checks it ran
    assert {t: record[f"rijen_{t}"] for t in TABLES} == release.row_counts
    assert (record["kwaliteitspoort"], record["kwaliteitscontroles"]) == ("geslaagd", 2)
    assert record["data_tot_en_met"] is None  # not given here; the nightly job passes the newest period's end
    assert record["code_versie"] == "test-1"
    assert record["vingerafdruk"] == release.fingerprint
    assert (release.parquet_dir / "publicatie.parquet").is_file()
    (event,) = history(home)
    assert (event["event"], event["release_id"], event["previous_release_id"]) == (
        "publish",
        release.release_id,
        None,
    )
    text = summary(result)
    assert release.release_id in text and "fct_indicator_waarde" in text and str(stable) in text


def test_identical_content_publishes_nothing(home: Settings) -> None:
    make_warehouse(home, "A", 5)
    first = publish(home)
    stable_inode = (home.publish / "wijkbeeld.duckdb").stat().st_ino
    make_warehouse(home, "A", 5, reverse=True)  # same rows, other physical order

    second = publish(home, code_versie="test-2")

    assert not second.changed
    assert second.release == first.release
    assert [r.release_id for r in list_releases(settings())] == [first.release.release_id]
    assert (home.publish / "wijkbeeld.duckdb").stat().st_ino == stable_inode
    assert len(history(home)) == 1


def test_changed_content_gives_new_release_and_publicatie_keeps_history(home: Settings) -> None:
    make_warehouse(home, "A", 5)
    first = publish(home)
    make_warehouse(home, "B", 6)

    second = publish(home)

    assert second.changed
    assert second.release.release_id > first.release.release_id
    assert markers(home.publish / "wijkbeeld.duckdb") == {"B"}
    assert markers(first.release.duckdb_path) == {"A"}  # the old release is untouched
    assert current_release(settings()).release_id == second.release.release_id
    with duckdb.connect(str(home.publish / "wijkbeeld.duckdb"), read_only=True) as pub:
        ids = [r for (r,) in pub.execute("SELECT release_id FROM mart.publicatie ORDER BY 1").fetchall()]
    assert ids == [first.release.release_id, second.release.release_id]
    assert [r.is_current for r in list_releases(settings())] == [True, False]


def test_release_ids_unique_and_sortable_within_one_second(home: Settings) -> None:
    ids = []
    for marker in "ABC":
        make_warehouse(home, marker, 3)
        ids.append(publish(home).release.release_id)
    assert len(set(ids)) == 3
    assert ids == sorted(ids)
    assert [r.release_id for r in list_releases(settings())] == ids[::-1]


def test_retention_keeps_newest_n(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKBEELD_KEEP_RELEASES", "2")
    ids = []
    for marker in "ABCD":
        make_warehouse(home, marker, 3)
        ids.append(publish(home).release.release_id)

    kept = [r.release_id for r in list_releases(settings())]
    assert kept == [ids[3], ids[2]]
    assert sorted(p.name for p in home.releases.iterdir()) == sorted(kept)


def test_retention_never_deletes_current(home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKBEELD_KEEP_RELEASES", "0")
    for marker in "AB":
        make_warehouse(home, marker, 3)
        result = publish(home)

    assert [r.release_id for r in list_releases(settings())] == [result.release.release_id]
    assert markers(home.publish / "current" / "wijkbeeld.duckdb") == {"B"}


def test_rollback_swaps_back_and_writes_history(home: Settings) -> None:
    make_warehouse(home, "A", 4)
    first = publish(home).release
    make_warehouse(home, "B", 4)
    second = publish(home).release

    restored = rollback(first.release_id, *platform())

    assert restored.release_id == first.release_id and restored.is_current
    assert current_release(settings()).release_id == first.release_id
    assert markers(home.publish / "wijkbeeld.duckdb") == {"A"}
    assert os.readlink(home.publish / "current") == f"releases/{first.release_id}"
    events = history(home)
    assert [(e["event"], e["release_id"], e["previous_release_id"]) for e in events] == [
        ("publish", first.release_id, None),
        ("publish", second.release_id, first.release_id),
        ("rollback", first.release_id, second.release_id),
    ]
    # The warehouse still holds B: a refresh publishes it again as a new release.
    again = publish(home)
    assert again.changed and markers(home.publish / "wijkbeeld.duckdb") == {"B"}


def test_rollback_to_unknown_release_is_a_clear_error(home: Settings) -> None:
    make_warehouse(home, "A", 3)
    kept = publish(home).release.release_id

    with pytest.raises(UnknownReleaseError, match=r"Unknown release '20990101T000000Z-abcdef'") as info:
        rollback("20990101T000000Z-abcdef", *platform())
    assert kept in str(info.value)
    assert current_release(settings()).release_id == kept


def test_stale_temp_folders_are_cleaned_up(home: Settings) -> None:
    make_warehouse(home, "A", 3)
    publish(home)
    stale = home.releases / ".tmp-20260101T000000Z-abcdef"
    (stale / "parquet").mkdir(parents=True)
    (stale / "wijkbeeld.duckdb").write_bytes(b"half written")
    (home.publish / ".wijkbeeld.duckdb.20260101T000000Z-abcdef.tmp").write_bytes(b"half copied")
    make_warehouse(home, "B", 3)

    publish(home)

    assert not stale.exists()
    assert not list(home.publish.glob(".*.tmp"))
    assert list_releases(settings())[0].release_id == current_release(settings()).release_id


def test_missing_table_fails_clearly_and_changes_nothing(home: Settings) -> None:
    make_warehouse(home, "A", 3)
    first = publish(home).release

    with pytest.raises(PublishError, match=r"mart\.signalen"):
        publish(home, tables=[*TABLES, "signalen"])
    with pytest.raises(PublishError, match="publicatie"):
        publish(home, tables=[*TABLES, "publicatie"])

    assert current_release(settings()) == first
    assert not list(home.releases.glob(".tmp-*"))


def test_publish_leaves_warehouse_free_for_a_writer(home: Settings) -> None:
    """No connection to the warehouse survives the publish: another process can write right after."""
    make_warehouse(home, "A", 3)
    publish(home)
    script = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('CREATE TABLE mart.extra AS SELECT 1 i')"
    done = subprocess.run([sys.executable, "-c", script, str(home.warehouse_file)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import duckdb

    path, mode, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    QUERY = '''
        SELECT (SELECT count(*) FROM mart.dim_gebied),
               (SELECT list(DISTINCT marker ORDER BY marker) FROM mart.dim_gebied),
               (SELECT count(*) FROM mart.fct_indicator_waarde),
               (SELECT list(DISTINCT marker ORDER BY marker) FROM mart.fct_indicator_waarde),
               (SELECT max(release_id) FROM mart.publicatie)
    '''
    held = duckdb.connect(path, read_only=True) if mode == "hold" else None

    def observe():
        if held is not None:
            return list(held.execute(QUERY).fetchone())
        with duckdb.connect(path, read_only=True) as con:
            return list(con.execute(QUERY).fetchone())

    seen = [observe()]
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    after_stop = 0
    for _ in range(20000):  # bounded, whatever happens
        if stop.exists():
            after_stop += 1
            if after_stop > 3:
                break
        if time.monotonic() > deadline:
            break
        seen.append(observe())
        time.sleep(0.005)
    distinct = sorted(set(map(json.dumps, seen)))
    print(json.dumps({"observations": len(seen), "distinct": distinct, "last": seen[-1]}))
    """
)


def test_reader_holding_the_stable_file_is_never_blocked_or_broken(home: Settings, tmp_path: Path) -> None:
    """A BI client in another process keeps reading a complete release while a new one is published."""
    make_warehouse(home, "A", 20)
    first = publish(home).release
    stable = home.publish / "wijkbeeld.duckdb"
    stop = tmp_path / "stop"
    script = tmp_path / "reader.py"
    script.write_text(READER)
    readers = {
        mode: subprocess.Popen(
            [sys.executable, str(script), str(stable), mode, str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("hold", "reopen")
    }
    old_handle = stable.open("rb")  # like the readers, hold the old file: its bytes must never change
    old_bytes = old_handle.read()
    try:
        for proc in readers.values():
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        make_warehouse(home, "B", 30)
        second = publish(home)
        stop.touch()
        outputs = {mode: proc.communicate(timeout=120) for mode, proc in readers.items()}
        old_handle.seek(0)
        assert old_handle.read() == old_bytes, "the file a client held open was written in place"
    finally:
        old_handle.close()
        for proc in readers.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    assert second.changed
    snapshot_a = [20, ["A"], 40, ["A"], first.release_id]
    snapshot_b = [30, ["B"], 60, ["B"], second.release.release_id]
    for mode, proc in readers.items():
        assert proc.returncode == 0, f"{mode} reader failed: {outputs[mode][1]}"
    hold = json.loads(outputs["hold"][0])
    assert [json.loads(d) for d in hold["distinct"]] == [snapshot_a]  # the open handle keeps the old release
    reopen = json.loads(outputs["reopen"][0])
    assert all(json.loads(d) in (snapshot_a, snapshot_b) for d in reopen["distinct"])  # never a mix
    assert reopen["last"] == snapshot_b
    with duckdb.connect(str(stable), read_only=True) as con:
        assert con.execute("SELECT DISTINCT marker FROM mart.dim_gebied").fetchall() == [("B",)]


def _publicatie(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT volgnummer, release_id, gebeurtenis, vorige_release_id FROM mart.publicatie ORDER BY volgnummer"
        ).fetchall()


def test_rollback_is_recorded_in_publicatie_and_kept_by_the_next_publish(home: Settings) -> None:
    make_warehouse(home, "A", 4)
    a = publish(home).release
    a_bytes = a.duckdb_path.read_bytes()
    make_warehouse(home, "B", 4)
    b = publish(home).release

    rollback(a.release_id, *platform())

    stable = home.publish / "wijkbeeld.duckdb"
    assert _publicatie(stable) == [
        (1, a.release_id, "publicatie", None),
        (2, b.release_id, "publicatie", a.release_id),
        (3, a.release_id, "terugdraaiing", b.release_id),
    ]
    assert markers(stable) == {"A"}
    assert a.duckdb_path.read_bytes() == a_bytes  # the release folder itself stays as it was published
    assert oct(stable.stat().st_mode & 0o777) == oct(0o444)

    make_warehouse(home, "C", 4)
    c = publish(home).release
    assert _publicatie(stable)[3:] == [(4, c.release_id, "publicatie", a.release_id)]
    assert [r[1] for r in _publicatie(c.duckdb_path)] == [a.release_id, b.release_id, a.release_id, c.release_id]
    parquet = c.parquet_dir / "publicatie.parquet"
    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*) FROM '{parquet}' WHERE gebeurtenis = 'terugdraaiing'").fetchone()[0] == 1


def test_releases_and_rollback_commands(home: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from orchestration.cli import main

    assert main(["releases"]) == 0
    assert "No releases" in capsys.readouterr().out
    make_warehouse(home, "A", 3)
    a = publish(home).release
    make_warehouse(home, "B", 3)
    b = publish(home).release

    assert main(["releases"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"* {b.release_id}") and lines[1].startswith(f"  {a.release_id}")

    assert main(["rollback", a.release_id]) == 0
    assert a.release_id in capsys.readouterr().out
    assert markers(home.publish / "wijkbeeld.duckdb") == {"A"}
    assert main(["releases"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith(f"* {a.release_id}")

    assert main(["rollback", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "Unknown release 'nonsense'" in err and "Traceback" not in err
    assert current_release(settings()).release_id == a.release_id


def test_a_stable_file_from_before_the_event_columns_is_carried_over(home: Settings) -> None:
    """Data homes published by an older version have publicatie without volgnummer/gebeurtenis."""
    make_warehouse(home, "A", 3)
    a = publish(home).release
    stable = home.publish / "wijkbeeld.duckdb"
    stable.chmod(0o644)
    with duckdb.connect(str(stable)) as con:
        for column in ("volgnummer", "gebeurtenis", "vorige_release_id"):
            con.execute(f"ALTER TABLE mart.publicatie DROP COLUMN {column}")
    stable.chmod(0o444)
    make_warehouse(home, "B", 3)

    b = publish(home).release
    rollback(a.release_id, *platform())

    assert [r[:3] for r in _publicatie(stable)] == [
        (1, a.release_id, "publicatie"),
        (2, b.release_id, "publicatie"),
        (3, a.release_id, "terugdraaiing"),
    ]
    with duckdb.connect(str(b.duckdb_path), read_only=True) as con:  # numbered when B copied the history
        assert con.execute("SELECT volgnummer, release_id FROM mart.publicatie ORDER BY 1").fetchall() == [
            (1, a.release_id),
            (2, b.release_id),
        ]


def test_a_history_with_json_columns_becomes_plain_columns(home: Settings) -> None:
    """Files published before the plain columns held the row counts and the gate result as JSON text."""
    make_warehouse(home, "A", 3)
    a = publish(home).release
    stable = home.publish / "wijkbeeld.duckdb"
    stable.chmod(0o644)
    with duckdb.connect(str(stable)) as con:
        con.execute("ALTER TABLE mart.publicatie ADD COLUMN rijen_per_tabel VARCHAR")
        con.execute("ALTER TABLE mart.publicatie ALTER COLUMN kwaliteitspoort TYPE VARCHAR")
        con.execute(
            """UPDATE mart.publicatie SET rijen_per_tabel = '{"dim_gebied": 3, "oude_tabel": 7}',
                      kwaliteitspoort = '{"resultaat": "geslaagd", "rapport": {}}'"""
        )
        for column in ("rijen_dim_gebied", "rijen_fct_indicator_waarde", "kwaliteitscontroles", "data_tot_en_met"):
            con.execute(f"ALTER TABLE mart.publicatie DROP COLUMN {column}")
    stable.chmod(0o444)
    make_warehouse(home, "B", 4)
    b = publish(home).release

    with duckdb.connect(str(b.duckdb_path), read_only=True) as con:
        rows = con.execute(
            "SELECT release_id, kwaliteitspoort, rijen_dim_gebied, rijen_oude_tabel, rijen_fct_indicator_waarde "
            "FROM mart.publicatie ORDER BY volgnummer"
        ).fetchall()
    assert rows == [(a.release_id, "geslaagd", 3, 7, None), (b.release_id, "geslaagd", 4, None, 8)]
