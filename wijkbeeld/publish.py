"""Publication of the mart as immutable, versioned releases.

A release is a folder ``publish/releases/<release id>/`` with ``wijkbeeld.duckdb`` (every table in schema
``mart``), ``parquet/<table>.parquet`` and ``release.json``. It is built in a ``.tmp-<id>`` folder and
renamed into place only when complete, so a crash never leaves a half release under a real id.

BI tools open ``publish/wijkbeeld.duckdb``. That file is never written in place: a copy of the release file
is ``os.replace``-d onto it, so a client holding the old file open keeps reading the old inode and the next
open sees the new release. ``publish/current`` is a relative symlink to the current release; replacing it
is the commit point of a publish or rollback, and the stable file follows right after. Publishes and
rollbacks are serialised by a lock file; each first repairs what a crashed one left (:func:`recover`).

``mart.publicatie`` in the stable file is the full event history: every publish, rollback and repair, one
row each (``gebeurtenis``). A new release copies that history and adds its own row; a rollback makes the
stable file a copy of the older release's file whose ``publicatie`` is the history plus a rollback row
(the release folder itself stays as it was published).

Every DuckDB file of a release is written in storage version :data:`STORAGE_VERSION`, so BI tools whose
DuckDB is 1.x (ODBC, JDBC, DBeaver, Metabase, the DuckDB CLI) open it as well. Each table keeps the primary and
foreign keys and the Dutch descriptions (``COMMENT ON``) it has in the warehouse (dbt contracts and
``persist_docs``); the Parquet files carry the release id and the same descriptions in their key-value metadata.
Beside the tables a release holds the area shapes (``gebieden.geojson``, TopoJSON) and ``wijkbeeld.xlsx``
(:mod:`wijkbeeld.release_files`).

The warehouse is only ever attached read-only and only for the duration of one publish. Every DuckDB connection
is opened through :class:`wijkbeeld.warehouse.Warehouse` (memory cap and spill folder of the platform).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from wijkbeeld import release_files
from wijkbeeld.release_files import TableSchema, read_schema
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

DB_NAME = "wijkbeeld.duckdb"
RELEASE_JSON = "release.json"
PUBLICATIE = "publicatie"
HISTORY = "history.jsonl"
TMP_PREFIX = ".tmp-"
ID_TIME_FORMAT = "%Y%m%dT%H%M%SZ"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_RELEASE_ID = re.compile(r"^(\d{8}T\d{6}Z)-([0-9a-f]{6})$")
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
_PUBLIC_DIR = 0o755  # analysts' accounts must be able to reach the published files

PUBLISHED = "publicatie"  # values of publicatie.gebeurtenis
ROLLED_BACK = "terugdraaiing"
REPAIRED = "herstel"

# The DuckDB storage format of every published file: v1.0.0 is read by DuckDB 1.0 and newer, so the DuckDB 1.x
# that BI connectors embed (ODBC/JDBC, DBeaver, Metabase, the PyPI DuckDB CLI) opens releases written by DuckDB 2.x.
# The one place this is set; tests/unit/test_bi.py opens a release with DuckDB 1.1 to prove it (docs/publication.md).
STORAGE_VERSION = "v1.0.0"

# mart.publicatie, written by this module: (column, type, Dutch description). One column rijen_<table> per
# published table follows these (ROWS_PREFIX).
PUBLICATIE_COLUMNS: list[tuple[str, str, str]] = [
    ("volgnummer", "INTEGER", "Volgorde van de gebeurtenissen (1, 2, 3, ...); de rij met het hoogste volgnummer "
     "beschrijft de release die u ziet."),
    ("release_id", "VARCHAR", "De release waar deze gebeurtenis over gaat (tijdstip in UTC en vingerafdruk); "
     "dezelfde id staat in de metadata van elk Parquet-bestand van die release."),
    ("gebeurtenis", "VARCHAR", "publicatie (gepubliceerd), terugdraaiing (teruggezet naar deze release) of "
     "herstel (na een onderbroken publicatie opnieuw actueel gemaakt)."),
    ("gepubliceerd_op", "TIMESTAMP", "Tijdstip van de gebeurtenis (UTC)."),
    ("vorige_release_id", "VARCHAR", "De release die hiervoor te zien was (leeg bij de eerste publicatie)."),
    ("data_tot_en_met", "DATE", "Laatste dag van de nieuwste periode met gegevens in deze release."),
    ("geografie_jaar", "INTEGER", "Jaar van de CBS wijk- en buurtindeling waarop de release rapporteert."),
    ("perioden", "VARCHAR", "De gepubliceerde perioden, gescheiden door komma's."),
    ("kwaliteitspoort", "VARCHAR", "Uitslag van de kwaliteitspoort: geslaagd (alleen een geslaagde mart wordt "
     "gepubliceerd)."),
    ("kwaliteitscontroles", "INTEGER", "Aantal controles van de kwaliteitspoort op deze release (alle geslaagd)."),
    ("kwaliteitspoort_run", "VARCHAR", "De Dagster-run waarin de kwaliteitspoort deze tabellen keurde (in de UI te "
     "openen); leeg bij een terugdraaiing."),
    ("code_versie", "VARCHAR", "Versie van de code die de release maakte (pakketversie + git-commit)."),
    ("vingerafdruk", "VARCHAR", "SHA-256 over de inhoud van de tabellen: gelijke vingerafdruk, gelijke inhoud."),
]  # fmt: skip
PUBLICATIE_COMMENT = (
    "Publicatiegeschiedenis: één rij per publicatie, terugdraaiing of herstel. De rij met het hoogste volgnummer is "
    "de release die u ziet."
)
ROWS_PREFIX = "rijen_"


class PublishError(Exception):
    """A publication step could not be done; the message says why and what to check."""


class UnknownReleaseError(PublishError):
    """A release id was asked for that is not among the kept releases."""


@dataclass(frozen=True)
class ReleaseInfo:
    """One kept release, as recorded in its ``release.json``."""

    release_id: str
    path: Path
    published_at: datetime
    fingerprint: str
    is_current: bool
    row_counts: dict[str, int]
    geografie_jaar: int | None = None
    perioden: list[str] = field(default_factory=list)
    code_versie: str = ""
    data_tot_en_met: date | None = None

    @property
    def duckdb_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def parquet_dir(self) -> Path:
        return self.path / "parquet"


@dataclass(frozen=True)
class PublishResult:
    """Outcome of :func:`publish_release`; ``changed`` is False when the mart equalled the current release."""

    changed: bool
    release: ReleaseInfo
    stable_path: Path
    removed_releases: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- public API


def publish_release(
    *,
    warehouse: Warehouse,
    tables: list[str],
    gate: dict,
    geografie_jaar: int | None,
    perioden: list[str],
    code_versie: str,
    settings: Settings,
    data_tot_en_met: date | None = None,
) -> PublishResult:
    """Publish the warehouse's ``mart.<table>`` tables as a new release, unless their content is unchanged.

    ``data_tot_en_met`` is the last day of the newest period with data (``publicatie.data_tot_en_met``)."""
    s = settings
    _check_tables(tables)
    if not warehouse.path.is_file():
        raise PublishError(f"Warehouse not found: {warehouse.path}")
    s.releases.mkdir(parents=True, exist_ok=True)
    details = {
        "geografie_jaar": geografie_jaar,
        "perioden": list(perioden),
        "code_versie": code_versie,
        "kwaliteitspoort": gate,
        "data_tot_en_met": data_tot_en_met.isoformat() if data_tot_en_met else None,
    }
    with _publish_lock(s), _write_errors(s, "publish"):
        _recover(s, warehouse)
        current = current_release(s)
        release_id = _build_if_changed(s, warehouse, tables, current, details)
        if release_id is None:
            return PublishResult(changed=False, release=current, stable_path=_stable(s))
        release = _activate(s, release_id, staged=_stage_copy(s, release_id))
        _record(s, "publish", release_id, previous=current.release_id if current else None)
        removed = _apply_retention(s)
    return PublishResult(changed=True, release=release, stable_path=_stable(s), removed_releases=removed)


def recover(settings: Settings, warehouse: Warehouse) -> list[str]:
    """Repair what a killed publish or rollback left behind; returns what was done (empty: nothing).

    Removes temp folders and files, and when ``publish/current`` was switched but the stable file not yet
    (a crash between the two renames), finishes the swap. Publish and rollback call this first; the
    refresh calls it before running the job.
    """
    s = settings
    if not s.publish.is_dir():
        return []
    s.releases.mkdir(parents=True, exist_ok=True)
    with _publish_lock(s), _write_errors(s, "recovery"):
        return _recover(s, warehouse)


def list_releases(settings: Settings) -> list[ReleaseInfo]:
    """All kept releases, newest first."""
    s = settings
    if not s.releases.is_dir():
        return []
    current_id = _current_id(s)
    infos = [
        _read_release(path, current_id)
        for path in s.releases.iterdir()
        if path.is_dir() and _RELEASE_ID.match(path.name) and (path / RELEASE_JSON).is_file()
    ]
    return sorted(infos, key=lambda info: info.release_id, reverse=True)


def current_release(settings: Settings) -> ReleaseInfo | None:
    """The release ``publish/current`` points at, or None before the first publish."""
    s = settings
    current_id = _current_id(s)
    if current_id is None or not (s.releases / current_id / RELEASE_JSON).is_file():
        return None
    return _read_release(s.releases / current_id, current_id)


def rollback(release_id: str, settings: Settings, warehouse: Warehouse) -> ReleaseInfo:
    """Make an earlier kept release current again, with the same atomic swap as a publish."""
    s = settings
    s.releases.mkdir(parents=True, exist_ok=True)
    with _publish_lock(s), _write_errors(s, "rollback"):
        _recover(s, warehouse)
        kept = {info.release_id: info for info in list_releases(s)}
        if release_id not in kept:
            known = ", ".join(kept) or "none"
            raise UnknownReleaseError(f"Unknown release {release_id!r}; kept releases: {known}")
        if kept[release_id].is_current:
            return kept[release_id]
        previous = _current_id(s)
        staged = _stage_with_event(s, warehouse, kept[release_id], ROLLED_BACK, previous)
        release = _activate(s, release_id, staged=staged)
        _record(s, "rollback", release_id, previous=previous)
    return release


def summary(result: PublishResult) -> str:
    """A few human-readable lines about a publish."""
    release = result.release
    verb = "Published new release" if result.changed else "Unchanged; current release stays"
    width = max((len(name) for name in release.row_counts), default=0)
    lines = [f"{verb} {release.release_id} (fingerprint {release.fingerprint[:12]})"]
    lines += [f"  {name:<{width}}  {count:>10,} rows" for name, count in release.row_counts.items()]
    lines.append(f"Stable DuckDB file (open read-only): {result.stable_path}")
    lines.append(f"Release folder (DuckDB + parquet/): {release.path}")
    if result.removed_releases:
        lines.append(f"Removed old releases: {', '.join(result.removed_releases)}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ fingerprint


def _fingerprint(con: duckdb.DuckDBPyConnection, catalog: str, tables: list[str]) -> tuple[str, dict[str, int]]:
    """Order-independent content hash of the tables (schema + rows) and their row counts.

    Per table: column names, types and descriptions, the table's description and keys, the row count and the
    sums of the two halves of each row's MD5 (over its JSON text, which keeps NULL and 'NULL' apart). Sums,
    unlike XOR, do not cancel duplicates.
    """
    parts: dict[str, dict] = {}
    counts: dict[str, int] = {}
    schema = read_schema(con, catalog, tables)
    for table in sorted(tables):
        columns = [[c.name, c.data_type, c.comment] for c in schema[table].columns]
        columns.append([schema[table].comment, schema[table].constraint_sql(tables)])
        n, lower, upper = con.execute(
            f"SELECT count(*), coalesce(sum(md5_number_lower(h)), 0), coalesce(sum(md5_number_upper(h)), 0) "
            f'FROM (SELECT to_json(t)::VARCHAR AS h FROM {catalog}.mart."{table}" AS t)'
        ).fetchone()
        parts[table] = {"columns": columns, "rows": n, "lower": str(lower), "upper": str(upper)}
        counts[table] = n
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return digest, counts


# ---------------------------------------------------------------------------------------------- building


def _build_if_changed(
    s: Settings, warehouse: Warehouse, tables: list[str], current: ReleaseInfo | None, details: dict
) -> str | None:
    """Build and move into place a new release unless the mart's fingerprint equals the current one.

    The warehouse stays attached read-only (a shared lock: no writer can change it meanwhile) from the
    fingerprint until the copy is done, so the fingerprint describes exactly the copied content.
    """
    con = warehouse.scratch()
    try:
        _attach(con, warehouse.path, "wh", read_only=True)
        _check_present(con, warehouse.path, tables)
        fingerprint, _ = _fingerprint(con, "wh", tables)
        if current is not None and current.fingerprint == fingerprint:
            return None
        published_at = datetime.now(UTC).replace(microsecond=0)
        release_id = _new_release_id(s, published_at, fingerprint)
        meta = {**details, "release_id": release_id, "published_at": published_at, "fingerprint": fingerprint}
        meta["stable"] = _stable(s)
        tmp = s.releases / f"{TMP_PREFIX}{release_id}"
        tmp.mkdir()
        try:
            _build_release(con, warehouse, tmp, tables, previous=current, meta=meta)
        except BaseException:
            con.close()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    finally:
        con.close()
    shutil.rmtree(tmp / ".spill", ignore_errors=True)
    _seal(tmp)
    os.rename(tmp, s.releases / release_id)
    _fsync_dir(s.releases)
    return release_id


def _build_release(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    tmp: Path,
    tables: list[str],
    *,
    previous: ReleaseInfo | None,
    meta: dict,
) -> None:
    """Write the release DuckDB file, its Parquet files and ``release.json`` into ``tmp``."""
    con.execute(f"SET temp_directory = '{_sql_path(tmp / '.spill')}'")
    _attach(con, tmp / DB_NAME, "rel", read_only=False)
    con.execute("CREATE SCHEMA rel.mart")
    schema = read_schema(con, "wh", tables)
    for table in _referenced_first(schema):  # a foreign key needs the table it references
        con.execute(schema[table].create_sql("rel", tables))
        con.execute(f'INSERT INTO rel.mart."{table}" SELECT * FROM wh.mart."{table}"')
        for sql in schema[table].comment_sql("rel"):
            con.execute(sql)
    con.execute("DETACH wh")
    copied, counts = _fingerprint(con, "rel", tables)
    if copied != meta["fingerprint"]:
        raise PublishError("The copied mart differs from what was read from the warehouse; not published")
    _write_publicatie(con, warehouse, previous, {**meta, "row_counts": counts})
    published = read_schema(con, "rel", [*tables, PUBLICATIE])
    parquet = tmp / "parquet"
    parquet.mkdir()
    for table in [*tables, PUBLICATIE]:
        release_files.write_parquet(con, published[table], parquet / f"{table}.parquet", meta["release_id"])
    release_files.write_extras(con, tmp, published, release_id=meta["release_id"])
    con.execute("CHECKPOINT rel")
    con.execute("DETACH rel")
    record = {k: v for k, v in meta.items() if k != "stable"}
    record.update(tables=list(tables), row_counts=counts, published_at=meta["published_at"].isoformat())
    record["files"] = sorted(
        p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file() and ".spill" not in p.parts
    )
    (tmp / RELEASE_JSON).write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")


def _referenced_first(schema: dict[str, TableSchema]) -> list[str]:
    """The tables in an order in which every table comes after the tables its foreign keys reference."""
    ordered: list[str] = []

    def visit(table: str, path: tuple[str, ...]) -> None:
        if table in ordered or table not in schema or table in path:
            return
        for _, target, _ in schema[table].foreign_keys:
            visit(target, (*path, table))
        ordered.append(table)

    for table in schema:
        visit(table, ())
    return ordered


def _write_publicatie(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, previous: ReleaseInfo | None, meta: dict
) -> None:
    """``mart.publicatie``: the published history (rollbacks included) plus one row describing this release.

    The history comes from the stable file, which carries every event; before the first publish, or if
    that file is missing, from the previous release's Parquet.
    """
    s_stable = meta.get("stable")
    sources = []
    if s_stable is not None and _has_publicatie(warehouse, s_stable):
        _attach(con, s_stable, "hist", read_only=True)
        con.execute(f"CREATE TEMP TABLE hist_rows AS SELECT * FROM hist.mart.{PUBLICATIE}")
        con.execute("DETACH hist")
        sources.append("hist_rows")
    elif previous is not None:
        con.execute(
            "CREATE TEMP TABLE hist_rows AS SELECT * FROM read_parquet(?)",
            [str(previous.parquet_dir / f"{PUBLICATIE}.parquet")],
        )
        sources.append("hist_rows")
    row = _publicatie_row(
        release_id=meta["release_id"],
        at=meta["published_at"],
        meta=meta,
        row_counts=meta["row_counts"],
        event=PUBLISHED,
        previous=previous.release_id if previous else None,
    )
    _create_publicatie(con, sources, extra_tables=list(meta["row_counts"]))
    for source in sources:
        con.execute(f"DROP TABLE {source}")
    _renumber(con)
    _insert_row(con, row)


def _create_publicatie(con: duckdb.DuckDBPyConnection, sources: list[str], *, extra_tables: list[str]) -> None:
    """(Re)create ``rel.mart.publicatie`` with its descriptions and fill it with the rows of ``sources``.

    Sources are earlier publicatie tables, also of files published before the plain columns existed: their
    JSON ``rijen_per_tabel`` becomes the ``rijen_<table>`` columns and their JSON ``kwaliteitspoort`` its
    ``resultaat``. There is a ``rijen_<table>`` column for every table of ``extra_tables`` and of the history.
    """
    columns = {src: _columns_of(con, src) for src in sources}
    tables = set(extra_tables)
    for src, cols in columns.items():
        tables |= {c.removeprefix(ROWS_PREFIX) for c in cols if c.startswith(ROWS_PREFIX) and c != "rijen_per_tabel"}
        if "rijen_per_tabel" in cols:
            keys = con.execute(
                f"SELECT DISTINCT unnest(json_keys(rijen_per_tabel)) FROM {src} WHERE rijen_per_tabel IS NOT NULL"
            ).fetchall()
            tables |= {k for (k,) in keys}
    spec = [*PUBLICATIE_COLUMNS] + [
        (f"{ROWS_PREFIX}{t}", "BIGINT", f"Aantal rijen van {t} in deze release (leeg: tabel niet in deze release).")
        for t in sorted(tables)
    ]
    con.execute(f"DROP TABLE IF EXISTS rel.mart.{PUBLICATIE}")
    con.execute(f"CREATE TABLE rel.mart.{PUBLICATIE} ({', '.join(f'{n} {t}' for n, t, _ in spec)})")
    con.execute(f"COMMENT ON TABLE rel.mart.{PUBLICATIE} IS {_literal(PUBLICATIE_COMMENT)}")
    for name, _, text in spec:
        con.execute(f"COMMENT ON COLUMN rel.mart.{PUBLICATIE}.{name} IS {_literal(text)}")
    for src, cols in columns.items():
        select = ", ".join(f"{_history_value(name, cols)} AS {name}" for name, _, _ in spec)
        con.execute(f"INSERT INTO rel.mart.{PUBLICATIE} SELECT {select} FROM {src}")


def _history_value(name: str, cols: set[str]) -> str:
    """SQL for column ``name`` of a history row from a publicatie table with columns ``cols``."""
    if name == "kwaliteitspoort" and name in cols:
        # files before the plain columns held the gate result as JSON
        return (
            "CASE WHEN starts_with(kwaliteitspoort, '{') "
            "THEN json_extract_string(kwaliteitspoort, '$.resultaat') ELSE kwaliteitspoort END"
        )
    if name in cols:
        return name
    if name.startswith(ROWS_PREFIX) and "rijen_per_tabel" in cols:
        return f"CAST(json_extract(rijen_per_tabel, {_literal('$.' + name.removeprefix(ROWS_PREFIX))}) AS BIGINT)"
    return "NULL"


def _columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _renumber(con: duckdb.DuckDBPyConnection) -> None:
    """``volgnummer`` 1..n in event order; completes rows from files published before these columns existed."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE renumbered AS
            SELECT * REPLACE (row_number() OVER (ORDER BY volgnummer NULLS FIRST, gepubliceerd_op, rowid)
                              AS volgnummer,
                              -- older files recorded publishes only
                              coalesce(gebeurtenis, '{PUBLISHED}') AS gebeurtenis)
            FROM rel.mart.{PUBLICATIE}"""
    )
    con.execute(f"DELETE FROM rel.mart.{PUBLICATIE}")
    con.execute(f"INSERT INTO rel.mart.{PUBLICATIE} BY NAME SELECT * FROM renumbered ORDER BY volgnummer")
    con.execute("DROP TABLE renumbered")


def _publicatie_row(
    *, release_id: str, at: datetime, meta: dict, row_counts: dict, event: str, previous: str | None
) -> dict:
    gate = meta.get("kwaliteitspoort") or {}
    # the checks of this run's gate, per published table; else those of the report it wrote
    checks = sum(t.get("expectations_evaluated", 0) for t in (gate.get("tabellen") or {}).values()) or len(
        [e for t in ((gate.get("rapport") or {}).get("tables") or {}).values() for e in t.get("expectations", [])]
    )
    row = {
        "release_id": release_id,
        "gepubliceerd_op": at.replace(tzinfo=None),
        "gebeurtenis": event,
        "vorige_release_id": previous,
        "data_tot_en_met": meta.get("data_tot_en_met"),
        "geografie_jaar": meta["geografie_jaar"],
        "perioden": ",".join(meta["perioden"]),
        "kwaliteitspoort": gate.get("resultaat") if isinstance(gate, dict) else None,
        "kwaliteitscontroles": checks or None,
        "kwaliteitspoort_run": gate.get("run_id") if isinstance(gate, dict) else None,
        "code_versie": meta["code_versie"],
        "vingerafdruk": meta["fingerprint"],
    }
    row.update({f"{ROWS_PREFIX}{table}": n for table, n in row_counts.items()})
    return row


def _insert_row(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    """Append ``row`` with the next ``volgnummer`` (the order of events; times can tie within a second)."""
    columns = ", ".join(f"? AS {name}" for name in row)
    con.execute(
        f"""INSERT INTO rel.mart.{PUBLICATIE} BY NAME
            SELECT {columns}, (SELECT greatest(coalesce(max(volgnummer), 0), count(*)) + 1
                               FROM rel.mart.{PUBLICATIE}) AS volgnummer""",
        list(row.values()),
    )


def _has_publicatie(warehouse: Warehouse, path: Path) -> bool:
    """Whether ``path`` is a readable DuckDB file with ``mart.publicatie`` (False for a missing/broken file)."""
    if not path.is_file():
        return False
    try:
        with warehouse.open(path, read_only=True) as con:
            found = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'mart' AND table_name = ?", [PUBLICATIE]
            ).fetchone()
    except duckdb.Error:
        return False
    return bool(found and found[0])


def _new_release_id(s: Settings, published_at: datetime, fingerprint: str) -> str:
    """UTC second + short fingerprint, strictly after every existing id so ids stay unique and sortable."""
    stamp = published_at
    existing = [_RELEASE_ID.match(p.name) for p in s.releases.iterdir()]
    stamps = [datetime.strptime(m.group(1), ID_TIME_FORMAT).replace(tzinfo=UTC) for m in existing if m]
    if stamps and max(stamps) >= stamp:
        stamp = max(stamps) + timedelta(seconds=1)
    return f"{stamp.strftime(ID_TIME_FORMAT)}-{fingerprint[:6]}"


def _seal(folder: Path) -> None:
    """Make every file of a finished release read-only (0444), its folders 0755, and flush them to disk."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file():
            path.chmod(_READ_ONLY)
            _fsync_file(path)
        else:
            path.chmod(_PUBLIC_DIR)
            _fsync_dir(path)
    folder.chmod(_PUBLIC_DIR)
    _fsync_dir(folder)


# ------------------------------------------------------------------------------------------ swap + state


def _staged_path(s: Settings, release_id: str) -> Path:
    return s.publish / f".{DB_NAME}.{release_id}.tmp"


def _stage_copy(s: Settings, release_id: str) -> Path:
    """A read-only, fsynced copy of the release file beside the stable path, ready to be renamed onto it."""
    staged = _staged_path(s, release_id)
    shutil.copyfile(s.releases / release_id / DB_NAME, staged)
    staged.chmod(_READ_ONLY)
    _fsync_file(staged)
    return staged


def _stage_with_event(
    s: Settings, warehouse: Warehouse, release: ReleaseInfo, event: str, previous: str | None
) -> Path:
    """Staged copy of ``release``'s file whose ``publicatie`` is the stable file's history, the release's
    own rows and, unless the history already ends with this release, one ``event`` row (rollback/repair)."""
    staged = _staged_path(s, release.release_id)
    shutil.copyfile(release.duckdb_path, staged)
    staged.chmod(0o600)
    con = warehouse.scratch()
    try:
        _attach(con, staged, "rel", read_only=False)
        con.execute(f"CREATE TEMP TABLE own AS SELECT * FROM rel.mart.{PUBLICATIE}")
        sources = ["own"]
        if _has_publicatie(warehouse, _stable(s)):
            _attach(con, _stable(s), "old", read_only=True)
            con.execute(f"CREATE TEMP TABLE hist AS SELECT * FROM old.mart.{PUBLICATIE}")
            con.execute("DETACH old")
            sources.insert(0, "hist")
        _create_publicatie(con, sources, extra_tables=list(release.row_counts))
        # one row per event; a row from an older file (no volgnummer) yields to its numbered twin
        con.execute(
            f"""CREATE TEMP TABLE merged AS
                SELECT * FROM rel.mart.{PUBLICATIE}
                QUALIFY row_number() OVER (
                    PARTITION BY release_id, gepubliceerd_op, coalesce(gebeurtenis, '{PUBLISHED}')
                    ORDER BY volgnummer NULLS LAST) = 1"""
        )
        con.execute(f"DELETE FROM rel.mart.{PUBLICATIE}")
        con.execute(
            f"INSERT INTO rel.mart.{PUBLICATIE} SELECT * FROM merged ORDER BY volgnummer NULLS FIRST, gepubliceerd_op"
        )
        _renumber(con)
        if _last_release_id(con, "rel") != release.release_id:
            meta = json.loads((release.path / RELEASE_JSON).read_text())
            row = _publicatie_row(
                release_id=release.release_id,
                at=datetime.now(UTC).replace(microsecond=0),
                meta=meta,
                row_counts=release.row_counts,
                event=event,
                previous=previous,
            )
            _insert_row(con, row)
        con.execute("CHECKPOINT rel")
        con.execute("DETACH rel")
    finally:
        con.close()
    staged.chmod(_READ_ONLY)
    _fsync_file(staged)
    return staged


def _last_release_id(con: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    """The release the newest ``publicatie`` row is about: what a file with that history shows."""
    has_order = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'mart' "
        "AND table_name = ? AND column_name = 'volgnummer'",
        [catalog, PUBLICATIE],
    ).fetchone()[0]
    order = "volgnummer DESC NULLS LAST, " if has_order else ""  # files published before volgnummer existed
    row = con.execute(
        f"SELECT release_id FROM {catalog}.mart.{PUBLICATIE} ORDER BY {order}gepubliceerd_op DESC, rowid DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def _stable_release_id(s: Settings, warehouse: Warehouse) -> str | None:
    """The release the stable file shows, or None when it is missing or unreadable."""
    if not _has_publicatie(warehouse, _stable(s)):
        return None
    con = warehouse.scratch()
    try:
        _attach(con, _stable(s), "st", read_only=True)
        return _last_release_id(con, "st")
    finally:
        con.close()


def _activate(s: Settings, release_id: str, *, staged: Path) -> ReleaseInfo:
    """Switch ``current`` (the commit point), then rename the staged file onto the stable path."""
    link = s.publish / f".current.{release_id}.tmp"
    link.unlink(missing_ok=True)
    os.symlink(Path("releases") / release_id, link)
    os.replace(link, s.publish / "current")
    _fsync_dir(s.publish)
    _replace_stable(s, staged)
    return _read_release(s.releases / release_id, release_id)


def _replace_stable(s: Settings, staged: Path) -> None:
    """The second rename of a swap: the staged release file onto ``publish/wijkbeeld.duckdb``."""
    os.replace(staged, _stable(s))
    _fsync_dir(s.publish)


def _recover(s: Settings, warehouse: Warehouse) -> list[str]:
    """Clean temp leftovers; finish a swap that a crash interrupted (stable file behind ``current``)."""
    done = _clean_stale_temp(s)
    current = current_release(s)
    if current is None:
        return done
    shown = _stable_release_id(s, warehouse)
    if shown != current.release_id:
        staged = _stage_with_event(s, warehouse, current, REPAIRED, shown)
        _activate(s, current.release_id, staged=staged)
        _record(s, "recover", current.release_id, previous=shown)
        done.append(f"stable file showed {shown or 'nothing'}; now shows the current release {current.release_id}")
    return done


def _apply_retention(s: Settings) -> list[str]:
    """Delete releases beyond the newest ``keep_releases``; the current one is always kept."""
    keep = max(s.keep_releases, 1)
    removed = [info.release_id for info in list_releases(s)[keep:] if not info.is_current]
    for release_id in removed:
        shutil.rmtree(s.releases / release_id)
    return removed


def _clean_stale_temp(s: Settings) -> list[str]:
    """Remove what a crashed publish left behind (only ever temp names, never a release)."""
    removed = []
    for path in s.releases.glob(f"{TMP_PREFIX}*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        removed.append(f"removed half-built release {path.name}")
    for pattern in (f".{DB_NAME}.*.tmp", ".current.*.tmp"):
        for path in s.publish.glob(pattern):
            path.unlink()
            removed.append(f"removed temp file {path.name}")
    return removed


def _record(s: Settings, event: str, release_id: str, *, previous: str | None) -> None:
    """Append one event line to ``publish/history.jsonl``."""
    line = {
        "event": event,
        "release_id": release_id,
        "previous_release_id": previous,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with (s.publish / HISTORY).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _current_id(s: Settings) -> str | None:
    link = s.publish / "current"
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name


def _read_release(path: Path, current_id: str | None) -> ReleaseInfo:
    data = json.loads((path / RELEASE_JSON).read_text())
    return ReleaseInfo(
        release_id=data["release_id"],
        path=path,
        published_at=datetime.fromisoformat(data["published_at"]),
        fingerprint=data["fingerprint"],
        is_current=data["release_id"] == current_id,
        row_counts=data["row_counts"],
        geografie_jaar=data["geografie_jaar"],
        perioden=data["perioden"],
        code_versie=data["code_versie"],
        data_tot_en_met=date.fromisoformat(data["data_tot_en_met"]) if data.get("data_tot_en_met") else None,
    )


def _stable(s: Settings) -> Path:
    return s.publish / DB_NAME


# ------------------------------------------------------------------------------------------------ helpers


def _check_tables(tables: list[str]) -> None:
    if not tables:
        raise PublishError("No mart tables given to publish")
    bad = [t for t in tables if not _IDENTIFIER.match(t)]
    if bad:
        raise PublishError(f"Not a valid mart table name: {', '.join(bad)}")
    if PUBLICATIE in tables:
        raise PublishError(f"mart.{PUBLICATIE} is written by the publish step, not read from the warehouse")
    if len(set(tables)) != len(tables):
        raise PublishError("A mart table is listed twice")


def _attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str, *, read_only: bool) -> None:
    """Attach a DuckDB file; a file opened for writing is (or stays) in the published storage version."""
    options = " (READ_ONLY)" if read_only else f" (STORAGE_VERSION '{STORAGE_VERSION}')"
    try:
        con.execute(f"ATTACH '{_sql_path(path)}' AS {alias}{options}")
    except duckdb.Error as exc:
        raise PublishError(f"Cannot open {path}: {exc}") from exc


def _check_present(con: duckdb.DuckDBPyConnection, warehouse: Path, tables: list[str]) -> None:
    """Fail naming the missing tables rather than with a bare catalog error."""
    present = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = 'mart'"
        ).fetchall()
    }
    missing = [t for t in tables if t not in present]
    if missing:
        raise PublishError(f"Missing in {warehouse}: {', '.join('mart.' + t for t in missing)}")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _write_errors(s: Settings, what: str) -> Iterator[None]:
    """Turn a full disk or an unwritable folder into a PublishError that says what and where."""
    try:
        yield
    except PublishError:
        raise
    except (OSError, duckdb.IOException) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        where = getattr(exc, "filename", None) or s.publish
        hint = " (disk full: free space in the data home)" if "space" in str(reason).lower() else ""
        raise PublishError(
            f"{what} failed writing {where}: {reason}{hint}; the current publication was not changed"
        ) from exc


@contextlib.contextmanager
def _publish_lock(s: Settings) -> Iterator[None]:
    """Serialise publishes and rollbacks (across processes) with an exclusive lock on a lock file."""
    with (s.publish / ".publish.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
