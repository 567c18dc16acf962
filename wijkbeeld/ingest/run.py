"""One ingest run over a dataset's landing folder: :func:`ingest_dataset`.

Per settled file in ``landing/<partner>/<dataset>/``: one streaming pass hashes the bytes, checks and decodes them
in the contract encoding and writes a normalised UTF-8 copy whose records carry their line number
(:mod:`~wijkbeeld.ingest.readers`); files that pass the per-file checks (:mod:`~wijkbeeld.ingest.checks`) are
validated in batches (:mod:`~wijkbeeld.ingest.batch`). A bad file goes to quarantine with a ``.reason.json``; the
good files of a batch, their rejected rows and their delivery records are written in one transaction
(:mod:`~wijkbeeld.ingest.tables`), and only after COMMIT are the originals moved to the archive
(:mod:`~wijkbeeld.ingest.landing`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from wijkbeeld.ingest import checks, landing, readers, tables
from wijkbeeld.ingest.batch import evaluate_batch
from wijkbeeld.ingest.contracts import Contract, all_contracts, load_contract
from wijkbeeld.ingest.freshness import freshness, unmapped_by_period
from wijkbeeld.ingest.periods import now_utc
from wijkbeeld.ingest.readers.common import failed_prep
from wijkbeeld.ingest.results import IngestReport, Outcome, Prepared
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

LOG = logging.getLogger("wijkbeeld.ingest")

BATCH_FILES = 1000  # files validated and committed together (each keeps its own verdict)
BATCH_RECORDS = 1_000_000  # ... up to about this many records

Log = logging.Logger | logging.LoggerAdapter[Any]


def ingest_dataset(
    partner: str, dataset: str, settings: Settings, warehouse: Warehouse, *, log: Log | None = None
) -> IngestReport:
    """Ingest every settled file in ``landing/<partner>/<dataset>/`` (see the module docstring)."""
    s = settings.ensure()
    log = log or LOG
    contract = load_contract(partner, dataset)
    report = IngestReport(partner=partner, dataset=dataset)
    linked = landing.linked_landing_folder(s, partner, dataset)
    if linked:
        report.files_skipped.append((f"{partner}/{dataset}", linked))
        ready: list[Path] = []
    else:
        ready, report.files_waiting, report.files_skipped = landing.settled_files(
            s.landing / partner / dataset, s.settle_seconds
        )
    for name, why in report.files_skipped[: landing.LOGGED_FILES]:
        log.warning("%s: skipped, left in landing: %s", landing.display_name(name), why)
    for name in report.files_waiting:
        log.info(
            "%s: not settled yet (changed < %ss ago, no .complete marker); left in landing",
            name,
            s.settle_seconds,
        )
    with warehouse.connect() as con:
        tables.ensure_warehouse(con, all_contracts())
        missing = [ref for ref in contract.requires() if not tables.table_rows(con, ref)]
        if missing and ready:
            report.waiting_for = missing
            log.info(
                "%s: waiting for %s; %d file(s) left in landing",
                contract.name,
                report.waiting_for,
                len(ready),
            )
            report.files_waiting += [p.name for p in ready]
            ready = []
        _ingest_files(con, s, contract, ready, report, log)
        report.last_delivery = tables.last_delivery(con, contract)
        report.unmapped_by_period = unmapped_by_period(con, contract)
        report.freshness = freshness(con, contract, now_utc().date())
    return report


@dataclass
class _Batch:
    """Files that passed :func:`~wijkbeeld.ingest.checks.precheck`, with the same header, waiting to be
    validated together."""

    header: tuple[str, ...] = ()
    items: list[tuple[Prepared, Outcome]] = field(default_factory=list)
    records: int = 0

    def fits(self, prep: Prepared) -> bool:
        same = tuple(h.lower() for h in prep.header) == self.header
        return not self.items or (same and len(self.items) < BATCH_FILES and self.records < BATCH_RECORDS)

    def add(self, prep: Prepared, out: Outcome) -> None:
        self.header = tuple(h.lower() for h in prep.header)
        self.items.append((prep, out))
        self.records += prep.records


def _ingest_files(
    con: duckdb.DuckDBPyConnection, s: Settings, contract: Contract, ready: list[Path], report: IngestReport, log: Log
) -> None:
    """Stream-prepare each file in order; files that pass the per-file checks are validated and loaded in
    batches of consecutive files with the same header (few large queries instead of many small ones)."""
    refs = set(contract.requires())  # all loaded (else we wait), and unchanged during this run
    today = now_utc().date()
    seen: set[str] = set()
    known_shas = dict(
        con.execute(
            "SELECT bron_sha256, min(levering_id) FROM meta.leveringen WHERE partner = ? AND dataset = ? GROUP BY ALL",
            [contract.partner, contract.dataset],
        ).fetchall()
    )
    batch = _Batch()
    codes: checks.KnownCodes = {}  # the reference codes file names are checked against, read once
    refusals = landing.Refusals(con, s, contract, report, log)
    with tempfile.TemporaryDirectory(prefix="wijkbeeld-ingest-") as tmp:
        try:
            for index, path in enumerate(ready):
                prep = _ready_file(s, contract, path, Path(tmp) / f"{index}.csv", index, refusals)
                if prep is None:
                    continue
                try:
                    st = path.lstat()
                except FileNotFoundError:
                    log.warning("%s: removed from landing while being read", landing.display_name(path.name))
                    continue
                if (st.st_size, st.st_mtime) != prep.stat or prep.sha256 in seen:
                    why = "changed while being read" if prep.sha256 not in seen else "same content as another file"
                    log.warning("%s: %s; left in landing for the next run", path.name, why)
                    report.files_waiting.append(path.name)
                    continue
                known = known_shas.get(prep.sha256)
                if known is not None:
                    landing.archive(path, landing.archive_path(s, contract, prep))
                    report.files_already_ingested.append(path.name)
                    log.info("%s: already ingested (levering %s); landing copy archived", path.name, known)
                    continue
                seen.add(prep.sha256)
                out = checks.precheck(con, contract, prep, refs, today, codes)
                if out.problem:
                    refusals.refuse(prep, out.problem)
                    continue
                if not batch.fits(prep):
                    _flush(con, s, contract, batch, report, log, refusals)
                batch.add(prep, out)
            _flush(con, s, contract, batch, report, log, refusals)
        finally:
            refusals.record()  # a file moved to quarantine is recorded, whatever happens next
    if len(report.files_quarantined) > landing.LOGGED_FILES:
        log.warning(
            "%s: %d more file(s) quarantined (%d in all this run; see meta.quarantaine and quarantine/%s/)",
            contract.name,
            len(report.files_quarantined) - landing.LOGGED_FILES,
            len(report.files_quarantined),
            contract.name,
        )


def _flush(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    contract: Contract,
    batch: _Batch,
    report: IngestReport,
    log: Log,
    refusals: landing.Refusals,
) -> None:
    """Validate a batch, quarantine its bad files, load the good ones in one transaction, then archive."""
    if not batch.items:
        return
    validated = None
    try:
        validated = evaluate_batch(
            con, contract, batch.items, set(contract.requires()), now_utc().date(), s.limits, s.reference_year
        )
    except (duckdb.InvalidInputException, duckdb.DataError, duckdb.OutOfMemoryException) as exc:
        # A file broke the reader: every file of the batch on its own, so only that one is refused.
        if len(batch.items) > 1:
            items, batch.items, batch.records = batch.items, [], 0
            for prep, out in items:
                single = _Batch()
                single.add(prep, out)
                _flush(con, s, contract, single, report, log, refusals)
            return
        batch.items[0][1].problem = checks.unreadable(contract, "the reader (DuckDB) failed on it", exc)
    good: list[tuple[Prepared, Outcome, str]] = []
    for prep, out in batch.items:
        if out.problem:
            refusals.refuse(prep, out.problem)
        else:
            good.append((prep, out, landing.relative(landing.archive_path(s, contract, prep), s.home)))
    refusals.record()
    leveringen = tables.load_batch(con, contract, good, validated.final, validated.bad) if good and validated else []
    for (prep, out, _), levering in zip(good, leveringen, strict=True):
        landing.archive(prep.path, landing.archive_path(s, contract, prep))
        report.files_ingested.append(prep.path.name)
        report.rows_accepted += out.rows_accepted
        report.rows_rejected += out.rows_rejected
        report.rows_unmapped += out.rows_unmapped or 0
        LOG.debug(
            "%s: levering %s, %s rows accepted, %s rejected, %s unmapped",
            prep.path.name,
            levering,
            out.rows_accepted,
            out.rows_rejected,
            out.rows_unmapped or 0,
        )
    if good:  # one line per batch: a Dagster log event per file costs more than loading a small file
        names = [prep.path.name for prep, _, _ in good]
        log.info(
            "%d file(s) loaded as levering %s-%s (%s ... %s): %d rows accepted, %d rejected, %d unmapped",
            len(good),
            leveringen[0],
            leveringen[-1],
            names[0],
            names[-1],
            sum(out.rows_accepted for _, out, _ in good),
            sum(out.rows_rejected for _, out, _ in good),
            sum(out.rows_unmapped or 0 for _, out, _ in good),
        )
    for prep, _ in batch.items:
        prep.staged.unlink(missing_ok=True)
    batch.items, batch.records = [], 0


def _ready_file(
    s: Settings, contract: Contract, path: Path, staged: Path, index: int, refusals: landing.Refusals
) -> Prepared | None:
    """The reading pass of one landing file; None when the file was refused before it (a symbolic link, a bad
    name: junk is hashed for the record, never decoded) or is gone. A file that breaks the pass is refused
    with the kind of error; the night goes on."""
    try:
        if path.is_symlink():
            refusals.refuse(Prepared(path, "", staged), landing.symlink_problem(s, path))
            return None
        problem = checks.name_problem(contract, path.name, now_utc().date())
        if problem:
            refusals.refuse(failed_prep(path, staged, index), problem)
            return None
        try:
            return readers.prepare(path, contract, staged, index, s.limits)
        except Exception as exc:
            if not os.path.lexists(path):
                raise FileNotFoundError(path) from exc
            prep = failed_prep(path, staged, index)
            prep.problem = checks.unreadable(contract, "the reading pass failed on it", exc)
            return prep
    except FileNotFoundError:
        refusals.log.warning("%s: removed from landing while being read", landing.display_name(path.name))
        return None
