"""The partner-side check: the verdict ingest would give one file, without writing anything (``wijkbeeld
validate``). The same steps as ingest, on a scratch database that reads the local warehouse (when there is one)
read-only for the area codes and addresses.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from wijkbeeld.ingest import checks, readers, tables
from wijkbeeld.ingest.batch import Validated, evaluate_batch
from wijkbeeld.ingest.contracts import Contract, all_contracts, contract_for_name, load_contract
from wijkbeeld.ingest.periods import now_utc
from wijkbeeld.ingest.readers.common import failed_prep
from wijkbeeld.ingest.results import Verdict
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse, WarehouseBusy

VERDICT_ROWS = 1000  # bad rows listed in a Verdict


def validate_file(path: Path, dataset: str | None = None, *, settings: Settings, warehouse: Warehouse) -> Verdict:
    """The verdict ingest would give ``path`` (``dataset`` is ``partner/dataset``; when None it is inferred from
    the file name). The DuckDB memory cap is the same as ingest's; DuckDB spills to a temp folder, not the data
    home."""
    path = Path(path)
    try:
        contract = _resolve_contract(path.name, dataset)
    except KeyError as exc:
        return Verdict(file=path.name, dataset=dataset, sha256=None, accepted=False, reasons=[str(exc.args[0])])
    if contract is None:
        examples = ", ".join(c.file.name_example for c in all_contracts())
        reason = f"file name matches no known dataset (expected names like: {examples})"
        return Verdict(file=path.name, dataset=None, sha256=None, accepted=False, reasons=[reason])
    if not path.is_file():
        return Verdict(path.name, contract.name, None, False, reasons=[f"not a file: {path}"])
    path = path.resolve()  # on the partner's own machine a link to the file is fine (ingest never follows one)
    notes: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="wijkbeeld-validate-") as tmp,
        warehouse.scratch(spill_dir=Path(tmp) / "spill") as con,
    ):
        _attach_references(con, warehouse, notes)
        staged = Path(tmp) / "staged.csv"
        try:
            prep = readers.prepare(path, contract, staged, 0, settings.limits)
        except Exception as exc:  # the verdict ingest would give, not a traceback
            prep = failed_prep(path, staged, 0)
            prep.problem = checks.unreadable(contract, "the reading pass failed on it", exc)
        refs = {ref for ref in contract.requires() if (tables.table_rows(con, ref) or 0) > 0}
        out = checks.precheck(con, contract, prep, refs, now_utc().date())
        validated: Validated | None = None
        if out.problem is None:
            try:
                validated = evaluate_batch(
                    con, contract, [(prep, out)], refs, now_utc().date(), settings.limits, settings.reference_year
                )
            except (duckdb.InvalidInputException, duckdb.DataError, duckdb.OutOfMemoryException) as exc:
                out.problem = checks.unreadable(contract, "the reader (DuckDB) failed on it", exc)
        known = tables.known_delivery(con, contract, prep.sha256) if _has_meta(con) else None
        if known is not None:
            notes.append(f"this exact file was already ingested (levering {known}): ingest changes nothing")
        bad = checks.bad_rows(con, validated.bad, VERDICT_ROWS, prep.index) if validated and out.rows_total else []
    verdict = Verdict(
        file=path.name,
        dataset=contract.name,
        sha256=prep.sha256,
        accepted=out.problem is None,
        bad_rows=bad,
        rows_total=out.rows_total,
        rows_accepted=out.rows_accepted,
        rows_rejected=out.rows_rejected,
        rows_unmapped=out.rows_unmapped,
        notes=notes + [n for n in out.notes if not n.startswith("not checked")],
        line_word=contract.line_word,
    )
    if out.problem:
        verdict.reasons.append(out.problem.reason)
        verdict.details = {
            **out.problem.details,
            "expected": out.problem.expected,
            "how_to_fix": out.problem.fix,
        }
    return verdict


def _resolve_contract(name: str, dataset: str | None) -> Contract | None:
    if dataset:
        partner, _, ds = dataset.replace("__", "/").partition("/")
        return load_contract(partner, ds)
    return contract_for_name(name)


def _attach_references(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, notes: list[str]) -> None:
    """Use the local warehouse read-only for geography checks, when there is one and it is free."""
    if not warehouse.path.exists():
        notes.append("no local warehouse: area codes and address mapping not checked")
        return
    try:
        warehouse.attach(con, warehouse.path, "wh")
        con.execute("USE wh")
    except (duckdb.Error, WarehouseBusy) as exc:
        notes.append(f"warehouse not readable ({type(exc).__name__}): area codes not checked")


def _has_meta(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'meta' "
        "AND table_name = 'leveringen' AND table_catalog = current_database()"
    ).fetchone()
    return bool(row and row[0])
