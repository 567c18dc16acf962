"""What the ingest steps hand each other and report: a file's reading pass, its checks, its verdict.

``Prepared`` (the reading pass of one file) and ``Outcome`` (its checks and counts) travel between the steps of
:mod:`wijkbeeld.ingest.run`; ``Verdict`` is the partner-side answer (:func:`wijkbeeld.ingest.validate_file`) and
``IngestReport`` what one ingest run of a dataset did (Dagster metadata).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BadRow:
    """One rejected cell or row: line in the file (header = 1), source column, value, reason."""

    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class FileProblem:
    """Why a whole file is refused, written to ``<file>.reason.json``."""

    reason: str
    expected: str
    fix: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prepared:
    """The reading pass over one file: its hash, what DuckDB will read of it (``staged``, ``table``) and what was
    found.

    ``layout`` says how each record's place in the original is kept, so several files are validated together and
    every row keeps its line (or Excel row):

    - ``"plain"``: ``staged`` is a UTF-8 copy with the header and one record per line (a bulk pass proved it), so
      a record's line is its ordinal + 2;
    - ``"numbered"``: every record of ``staged`` starts with the file's number in its batch (``index``) and its
      line, written by the line pass (files with quoted values over several lines, blank lines, ...);
    - ``"arrow"``: the records are in ``table`` (Arrow: ``__regel`` and the cells ``c0..cn`` as text), read from
      a workbook.
    """

    path: Path
    sha256: str
    staged: Path
    header: list[str] = field(default_factory=list)
    records: int = 0
    problem: FileProblem | None = None
    notes: list[str] = field(default_factory=list)
    stat: tuple[int, float] = (0, 0.0)
    index: int = 0  # number of the file in its validation batch
    layout: str = "numbered"  # plain | numbered | arrow (see above)
    table: Any = None  # layout "arrow": a pyarrow Table of the records
    odd_spaces: bool = True  # the cells may hold whitespace other than spaces (False only when a pass made sure)


@dataclass
class Outcome:
    """The checks and counts of one prepared file (its rows are in the batch's tables)."""

    period: str | None = None
    problem: FileProblem | None = None
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_unmapped: int | None = None
    notes: list[str] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)  # file-derived target -> value
    file_end: date | None = None  # first day of the last month of the file's period


@dataclass
class Verdict:
    """What ingest would do with one file (the partner-side check)."""

    file: str
    dataset: str | None
    sha256: str | None
    accepted: bool
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    bad_rows: list[BadRow] = field(default_factory=list)
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_unmapped: int | None = None
    notes: list[str] = field(default_factory=list)
    line_word: str = "line"  # 'row' for Excel workbooks (the row number in the sheet)

    def text(self) -> str:
        """Readable verdict for a terminal."""
        head = "ACCEPTED" if self.accepted else "REFUSED"
        lines = [f"{head}: {self.file} ({self.dataset or 'unknown dataset'})"]
        lines += [f"  reason: {r}" for r in self.reasons]
        for key in ("expected", "how_to_fix"):
            if key in self.details:
                lines.append(f"  {key.replace('_', ' ')}: {self.details[key]}")
        if self.rows_total:
            unmapped = "" if self.rows_unmapped is None else f", {self.rows_unmapped} not mapped to an area"
            lines.append(
                f"  rows: {self.rows_total} read, {self.rows_accepted} accepted, "
                f"{self.rows_rejected} rejected{unmapped}"
            )
        for bad in self.bad_rows[:50]:
            value = "" if bad.value is None else f" value {bad.value!r}:"
            lines.append(f"  {self.line_word} {bad.line}, column {bad.column or '-'}:{value} {bad.reason}")
        if len(self.bad_rows) > 50 or self.rows_rejected > len(self.bad_rows):
            lines.append(f"  ... {self.rows_rejected} rejected rows in total")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class QuarantinedFile:
    file: str
    reason: str
    path: str


@dataclass(frozen=True)
class Freshness:
    """Whether a dataset is delivered on time against its contract cadence.

    ``covered_until`` is the last day of the newest period delivered (the newest row month when the
    contract has one, else the newest file period); the next period is due ``grace_days`` after it ends.
    """

    cadence: str
    covered_until: date | None
    due: date | None
    overdue: bool

    def text(self) -> str:
        if self.covered_until is None:
            return f"no delivery yet (expected every {self.cadence})"
        state = "OVERDUE" if self.overdue else "on time"
        return f"{state}: data up to {self.covered_until:%Y-%m-%d}; next period due by {self.due:%Y-%m-%d}"


@dataclass
class IngestReport:
    """What one :func:`wijkbeeld.ingest.ingest_dataset` call did (shown as Dagster metadata)."""

    partner: str
    dataset: str
    files_ingested: list[str] = field(default_factory=list)
    files_already_ingested: list[str] = field(default_factory=list)
    files_quarantined: list[QuarantinedFile] = field(default_factory=list)
    files_waiting: list[str] = field(default_factory=list)
    files_skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why): not files, or not readable
    waiting_for: list[str] = field(default_factory=list)
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_unmapped: int = 0
    last_delivery: str | None = None
    unmapped_by_period: dict[str, int] = field(default_factory=dict)
    freshness: Freshness | None = None
