"""BI access as client tools do it (docs/bi.md): SQLAlchemy + duckdb-engine read-only on the stable DuckDB
file (as Superset and Metabase-like tools connect), and Parquet from the current release folder.

The concurrency test runs two reader processes (one per access path) that keep querying while new
releases are published. Every query round reads the release id from ``mart.publicatie`` and the row count
of every table, and checks them against that release's own ``rijen_<table>``: a round that mixed two
releases, or any error, fails the test. No timing is assumed: after each publish the test bumps an epoch
in a control file, each round notes the epoch it started in, and the test waits for a round of the new
epoch, which must show the new release, so each reader provably saw each release.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.homes import settings
from tests.unit.test_report import WIJK_TABLES, publish_sample
from wijkbeeld.settings import Settings

# The release a file or folder shows: the newest row of its publicatie history, whose rijen_<table> columns are
# the row counts of that release (the whole row as JSON, so one query serves DuckDB and SQLAlchemy alike).
CURRENT_RELEASE_SQL = "SELECT release_id, to_json(p)::VARCHAR FROM {publicatie} AS p ORDER BY volgnummer DESC LIMIT 1"


def row_counts(row_json: str) -> dict[str, int]:
    return {k.removeprefix("rijen_"): v for k, v in json.loads(row_json).items() if k.startswith("rijen_")}


TOP_WIJKEN_SQL = """
SELECT k.rang_in_regio, g.gebiedsnaam, g.gemeentenaam, round(k.kwetsbaarheidsindex, 2) AS kwetsbaarheidsindex
FROM mart.fct_kwetsbaarheid k JOIN mart.dim_gebied g USING (gebiedcode)
WHERE (k.periode, k.periode_type) = (
    SELECT (periode, periode_type) FROM mart.fct_kwetsbaarheid
    ORDER BY periode_type = '12mnd' DESC, periode DESC LIMIT 1)
ORDER BY k.rang_in_regio NULLS LAST
LIMIT 10
"""
WIJK_VS_GEMEENTE_SQL = """
SELECT i.naam, w.waarde AS wijk, gm.waarde AS gemeente, w.regio_waarde AS regio, w.status
FROM mart.fct_indicator_waarde w
JOIN mart.dim_gebied g ON g.gebiedcode = w.gebiedcode
JOIN mart.dim_indicator i ON i.indicator_code = w.indicator_code
LEFT JOIN mart.fct_indicator_waarde gm
    ON gm.gebiedcode = g.gemeentecode AND gm.indicator_code = w.indicator_code
    AND gm.periode = w.periode AND gm.periode_type = w.periode_type
WHERE w.gebiedcode = :wijk AND w.periode = :periode AND w.periode_type = :periode_type
ORDER BY w.indicator_code
"""


def _engine(path: Path):
    """What a BI tool configures: a read-only duckdb-engine URL, no pooled connections kept open."""
    return create_engine(f"duckdb:///{path}", connect_args={"read_only": True}, poolclass=NullPool)


@pytest.fixture
def published(home: Path) -> Settings:
    s = settings().ensure()
    publish_sample(s)
    return s


def test_sqlalchemy_duckdb_engine_reads_the_stable_file(published: Settings) -> None:
    engine = _engine(published.publish / "wijkbeeld.duckdb")
    try:
        with engine.connect() as con:
            release_id, counts = con.execute(text(CURRENT_RELEASE_SQL.format(publicatie="mart.publicatie"))).one()
            for table in WIJK_TABLES:
                assert con.execute(text(f"SELECT count(*) FROM mart.{table}")).scalar() == row_counts(counts)[table]
            top = con.execute(text(TOP_WIJKEN_SQL)).all()
            compare = con.execute(
                text(WIJK_VS_GEMEENTE_SQL), {"wijk": "WK074402", "periode": "2024-07/2025-06", "periode_type": "12mnd"}
            ).all()
            with pytest.raises(Exception, match="read-only"):
                con.execute(text("CREATE TABLE mart.x AS SELECT 1"))
    finally:
        engine.dispose()
    assert release_id == os.path.basename(os.path.realpath(published.publish / "current"))
    assert [row.gebiedsnaam for row in top[:2]] == ["Baarle-Nassau", "Ulicoten"]
    assert top[0].kwetsbaarheidsindex == 1.4  # 1.2 + 4 periods x 0.05 in the sample
    v01 = next(row for row in compare if row.naam.startswith("Woninginbraken"))
    assert (v01.wijk, v01.gemeente, v01.regio) == (20.3, 14.3, 10.0)


def test_parquet_of_the_current_release(published: Settings) -> None:
    release = Path(os.path.realpath(published.publish / "current"))
    con = duckdb.connect()
    try:
        for table in [*WIJK_TABLES, "publicatie"]:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{release / 'parquet' / table}.parquet')")
        release_id, counts = con.execute(CURRENT_RELEASE_SQL.format(publicatie="publicatie")).fetchone()
        assert release_id == release.name
        for table in WIJK_TABLES:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == row_counts(counts)[table]
        # The example queries of docs/bi.md run unchanged on the Parquet views (schema prefix dropped).
        top = con.execute(TOP_WIJKEN_SQL.replace("mart.", "")).fetchall()
    finally:
        con.close()
    assert [row[1] for row in top[:2]] == ["Baarle-Nassau", "Ulicoten"]


READER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path

    mode, publish, control = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    counts_of = lambda row: {k[6:]: v for k, v in json.loads(row).items() if k.startswith("rijen_")}
    tables = json.loads(sys.argv[4])
    sql = json.loads(sys.argv[5])
    if mode == "sqlalchemy":
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(
            f"duckdb:///{publish / 'wijkbeeld.duckdb'}", connect_args={"read_only": True}, poolclass=NullPool
        )

        def round_():
            with engine.connect() as con:
                release_id, counts = con.execute(text(sql.format(publicatie="mart.publicatie"))).one()
                seen = {t: con.execute(text(f"SELECT count(*) FROM mart.{t}")).scalar() for t in tables}
            return release_id, counts_of(counts), seen
    else:
        import duckdb

        def round_():
            release = Path(os.path.realpath(publish / "current"))  # resolve once: the folder is immutable
            with duckdb.connect() as con:
                pq = lambda t: f"read_parquet('{release / 'parquet' / t}.parquet')"
                release_id, counts = con.execute(sql.format(publicatie=pq("publicatie"))).fetchone()
                seen = {t: con.execute(f"SELECT count(*) FROM {pq(t)}").fetchone()[0] for t in tables}
            if release_id != release.name:
                raise AssertionError(f"folder {release.name} holds publicatie of {release_id}")
            return release_id, counts_of(counts), seen

    deadline = time.monotonic() + 300
    for n in range(20000):
        epoch = int(control.read_text())  # written by the test after each publish; -1 = stop
        if epoch < 0 or time.monotonic() > deadline:
            break
        try:
            release_id, expected, seen = round_()
            line = {"n": n, "epoch": epoch, "release_id": release_id, "seen": seen,
                    "consistent": all(expected[t] == seen[t] for t in tables)}
        except Exception as exc:
            line = {"n": n, "epoch": epoch, "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(line), flush=True)
    """
)


def _set_epoch(control: Path, epoch: int) -> None:
    """Replace the control file in one step, so a reader never reads it half-written."""
    tmp = control.with_suffix(".tmp")
    tmp.write_text(str(epoch))
    os.replace(tmp, control)


class Reader:
    """A reader process and the rounds it reported so far (pumped from its stdout by a thread)."""

    def __init__(self, mode: str, s: Settings, control: Path, script: Path) -> None:
        self.mode = mode
        self.rounds: list[dict] = []
        self._lines: queue.Queue[dict | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, str(script), mode, str(s.publish), str(control), json.dumps(WIJK_TABLES),
             json.dumps(CURRENT_RELEASE_SQL)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._lines.put(json.loads(line))
        self._lines.put(None)

    def wait_for_epoch(self, epoch: int) -> dict:
        """Block until a round that started in ``epoch`` is reported, and return it."""
        while not self.rounds or self.rounds[-1]["epoch"] < epoch:
            try:
                item = self._lines.get(timeout=120)
            except queue.Empty:
                pytest.fail(f"{self.mode} reader reported no round for 120 s")
            if item is None:
                pytest.fail(f"{self.mode} reader ended early: {self.proc.stderr.read()}")
            self.rounds.append(item)
        return self.rounds[-1]

    def drain(self) -> None:
        """After the process ended: collect the rounds still in the pipe."""
        while (item := self._lines.get(timeout=60)) is not None:
            self.rounds.append(item)


def test_clients_querying_during_publishes_see_no_error_and_no_mixed_release(home: Path, tmp_path: Path) -> None:
    s = settings().ensure()
    releases = [publish_sample(s, variant=0).release.release_id]
    control = tmp_path / "epoch"
    _set_epoch(control, 0)
    script = tmp_path / "reader.py"
    script.write_text(READER, encoding="utf-8")
    readers = [Reader("sqlalchemy", s, control, script), Reader("parquet", s, control, script)]
    try:
        for reader in readers:
            assert reader.wait_for_epoch(0).get("release_id") == releases[0]
        for epoch, variant in enumerate((1, 2, 3), start=1):
            # Publish while the readers keep querying; a round that starts after the publish returned
            # (it reads the new epoch) must show the new release.
            result = publish_sample(s, variant=variant)
            assert result.changed
            releases.append(result.release.release_id)
            _set_epoch(control, epoch)
            for reader in readers:
                assert reader.wait_for_epoch(epoch).get("release_id") == releases[-1], reader.rounds[-1]
    finally:
        _set_epoch(control, -1)
        for reader in readers:
            reader.proc.wait(timeout=60)
    for reader in readers:
        reader.drain()
        errors = [r for r in reader.rounds if "error" in r]
        mixed = [r for r in reader.rounds if "error" not in r and not r["consistent"]]
        assert errors == [], f"{reader.mode}: {errors[:3]}"
        assert mixed == [], f"{reader.mode}: {mixed[:3]}"
        assert {r["release_id"] for r in reader.rounds} == set(releases), reader.mode
        assert reader.proc.returncode == 0, reader.proc.stderr.read()
