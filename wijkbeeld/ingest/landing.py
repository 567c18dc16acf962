"""The landing folder and where files go from it: which files are settled, the archive, the quarantine.

Nothing here follows a symbolic link; a name that is too long or not plain text is stored under a shortened
name; every refused file gets its ``<name>.reason.json`` and a row in ``meta.quarantaine``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.periods import now_utc
from wijkbeeld.ingest.results import FileProblem, IngestReport, Prepared, QuarantinedFile
from wijkbeeld.settings import PRIVATE_DIR_MODE, Settings, make_dir

MAX_NAME_BYTES = 200  # longer names are refused: '<name>.complete', '.reason.json' and archive names must fit in 255
LOGGED_FILES = 20  # quarantined files logged one by one per dataset and run; the rest in one line


def relative(path: Path, home: Path) -> str:
    try:
        return path.relative_to(home).as_posix()
    except ValueError:
        return path.as_posix()


class Landing(NamedTuple):
    """What :func:`settled_files` found in a landing folder."""

    ready: list[Path]  # settled regular files, and symbolic links (quarantined as such, never followed)
    waiting: list[str]  # still being written
    skipped: list[tuple[str, str]]  # (name, why): folders and other entries that are not files, left in place


def settled_files(folder: Path, settle_seconds: int) -> Landing:
    """Files safe to read (unchanged for ``settle_seconds`` or marked ``<name>.complete``), and the rest.

    Hidden files and ``~$`` lock files are partial uploads or editor files, not deliveries. Nothing here
    follows a symbolic link (``lstat``): a link is listed as ready, for ingest to quarantine the link itself.
    A name too long for its ``.complete`` marker, or an entry that vanishes meanwhile, never raises.
    """
    if folder.is_symlink() or not folder.is_dir():
        return Landing([], [], [])
    now = time.time()
    ready: list[tuple[str, float, Path]] = []
    waiting: list[str] = []
    skipped: list[tuple[str, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~$")) or name.endswith(".complete"):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                marked = _has_marker(folder / name)
            except OSError:  # removed meanwhile
                continue
            if stat.S_ISDIR(st.st_mode):
                skipped.append((name, "a folder, not a file: deliver files directly in the dataset folder"))
            elif not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                skipped.append((name, "not a regular file (a pipe, socket or device)"))
            elif stat.S_ISLNK(st.st_mode) or marked or now - st.st_mtime >= settle_seconds:
                ready.append((name, st.st_mtime, folder / name))
            else:
                waiting.append(name)
    return Landing([p for _, _, p in sorted(ready, key=lambda t: (t[0], t[1]))], sorted(waiting), sorted(skipped))


def _has_marker(path: Path) -> bool:
    """Whether ``<name>.complete`` exists (a name near the length limit cannot have one)."""
    try:
        return os.path.lexists(path.with_name(path.name + ".complete"))
    except (OSError, ValueError):
        return False


def linked_landing_folder(s: Settings, partner: str, dataset: str) -> str | None:
    """Why ``landing/<partner>/<dataset>/`` must not be read: its folder or the partner's is a symbolic link
    (an upload account could aim it at the archive, releases or another partner's folder). None when fine."""
    for folder in (s.landing / partner, s.landing / partner / dataset):
        if folder.is_symlink():
            rel = folder.relative_to(s.home).as_posix()
            return f"{rel} is a symbolic link; links are never followed, so nothing in it is read"
    return None


def archive_path(s: Settings, contract: Contract, prep: Prepared) -> Path:
    return s.archive / contract.partner / contract.dataset / f"{prep.sha256[:12]}_{prep.path.name}"


def archive(path: Path, dest: Path) -> None:
    """Move an ingested original to the archive (healing: if it is already there, drop the copy)."""
    make_dir(dest.parent, PRIVATE_DIR_MODE)
    if dest.exists():
        path.unlink()
    else:
        shutil.move(str(path), str(dest))
    with suppress(OSError):
        path.with_name(path.name + ".complete").unlink()


def display_name(name: str) -> str:
    """A file name as text for records and logs: bytes that are not UTF-8 and control characters escaped."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def stored_name(name: str) -> str:
    """The name a refused file gets in quarantine: its own, unless that is too long or not plain text."""
    shown = display_name(name)
    if shown == name and len(name.encode()) <= MAX_NAME_BYTES:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return shown.encode()[:150].decode("utf-8", "ignore") + "~" + digest


def quarantine(
    s: Settings, contract: Contract, prep: Prepared, problem: FileProblem
) -> tuple[QuarantinedFile, list[Any]]:
    """Move a bad file to quarantine with its reason.json; returns its row for meta.quarantaine.

    A symbolic link is moved as the link: its target is never touched. A name that is too long or not
    plain text is stored under a shortened name (the record keeps the delivered name)."""
    folder = make_dir(s.quarantine / contract.partner / contract.dataset, PRIVATE_DIR_MODE)
    stored = stored_name(prep.path.name)
    dest = folder / stored
    name = display_name(prep.path.name)
    now = now_utc()
    reason = {
        "dataset": contract.name,
        "file": name,
        "sha256": prep.sha256 or None,
        "reason": problem.reason,
        "details": problem.details,
        "expected": problem.expected,
        "how_to_fix": problem.fix,
        "quarantined_at": now.isoformat() + "Z",
    }
    if stored != prep.path.name:
        reason["stored_as"] = stored
    reason_path = folder / f"{stored}.reason.json"
    tmp = reason_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(reason, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, reason_path)
    shutil.move(str(prep.path), str(dest))
    with suppress(OSError):
        prep.path.with_name(prep.path.name + ".complete").unlink()
    details = json.dumps({k: reason[k] for k in ("details", "expected", "how_to_fix")}, ensure_ascii=False, default=str)
    rel = relative(dest, s.home)
    record = [contract.partner, contract.dataset, name, prep.sha256 or None, problem.reason, details, now, rel]
    return QuarantinedFile(file=name, reason=problem.reason, path=rel), record


@dataclass
class Refusals:
    """The files one ingest run quarantines: each moved at once, recorded in ``meta.quarantaine`` in bulk (an
    INSERT per file cost 1.6 ms) and logged one by one for the first few only (50,000 junk files made 50,000
    Dagster events, which took longer than the ingest itself)."""

    con: duckdb.DuckDBPyConnection
    s: Settings
    contract: Contract
    report: IngestReport
    log: logging.Logger | logging.LoggerAdapter[Any]
    pending: list[list[Any]] = field(default_factory=list)

    def refuse(self, prep: Prepared, problem: FileProblem) -> None:
        quarantined, record = quarantine(self.s, self.contract, prep, problem)
        self.pending.append(record)
        self.report.files_quarantined.append(quarantined)
        if len(self.report.files_quarantined) <= LOGGED_FILES:
            self.log.warning("%s: quarantined: %s", quarantined.file, problem.reason)

    def record(self) -> None:
        """Write the pending rows of ``meta.quarantaine`` (one column list per field, unnested)."""
        if not self.pending:
            return
        columns = [list(c) for c in zip(*self.pending, strict=True)]
        unnest = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
        self.con.execute(f"INSERT INTO meta.quarantaine SELECT * FROM (SELECT {unnest})", columns)
        self.pending.clear()


def symlink_problem(s: Settings, path: Path) -> FileProblem:
    rel = relative(path, s.home)
    return FileProblem(
        reason=f"{display_name(rel)} is a symbolic link, not a delivered file; links are never followed",
        expected="the file itself in the landing folder",
        fix="copy the file itself into the landing folder, not a link to it",
    )
