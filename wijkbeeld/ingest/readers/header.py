"""The header of a file, CSV or the header row of a workbook: the columns the contract needs, once each."""

from __future__ import annotations

import csv

from wijkbeeld.ingest.contracts import Contract
from wijkbeeld.ingest.readers.common import limit_problem
from wijkbeeld.ingest.results import FileProblem, Prepared
from wijkbeeld.settings import FileLimits

DELIMITER_CANDIDATES = (";", ",", "\t", "|")


def structure_problem(
    prep: Prepared, header_line: str | None, contract: Contract, limits: FileLimits
) -> FileProblem | None:
    """Empty file, header only, too many columns, wrong delimiter, missing or doubled columns.

    Sets ``prep.header`` (the header's column names) when the header can be read."""
    spec = contract.file
    expected_cols = list(dict.fromkeys(c.source for c in contract.columns if c.source and c.required))
    expected = f"a header line with {', '.join(expected_cols)} separated by {spec.delimiter!r}"
    if spec.format == "xlsx":
        expected = f"a header row in sheet {spec.sheet!r} with the columns {', '.join(expected_cols)}"
    if header_line is None:
        return FileProblem("file is empty", expected, "deliver the export again; the file has no content")
    try:
        fields = next(csv.reader([header_line], delimiter=spec.delimiter, quotechar=spec.quote))
    except csv.Error:  # e.g. a header field longer than the csv module's field limit
        return FileProblem(
            "the header (line 1) cannot be read as a CSV line", expected, "deliver the export again", {"line": 1}
        )
    if len(fields) > limits.max_columns:
        return limit_problem(
            contract,
            f"the header has {len(fields)} columns, more than the limit of {limits.max_columns}",
            "WIJKBEELD_MAX_COLUMNS",
            "deliver only the agreed columns",
            line=1,
            columns=len(fields),
        )
    prep.header = [f.replace("\ufeff", "").strip() for f in fields]
    if len(prep.header) == 1 and len(contract.source_columns()) > 1:
        seen = [d for d in DELIMITER_CANDIDATES if d != spec.delimiter and d in header_line]
        found = f"the header looks {seen[0]!r}-separated" if seen else "the header has a single column"
        return FileProblem(
            reason=f"wrong delimiter: {found}, the contract expects {spec.delimiter!r}",
            expected=expected,
            fix=f"export the file with {spec.delimiter!r} as the field separator",
            details={"line": 1, "header_columns": 1},
        )
    lower = [h.lower() for h in prep.header]
    needed = contract.source_columns()
    missing = [c.source for c in contract.columns if c.source and c.required and c.source.lower() not in lower]
    missing = sorted(set(missing))
    # Only contract column names are repeated back: without its header row the first line is data, which may
    # be personal (docs/security.md).
    found = [h for h in prep.header if h.lower() in needed]
    other = len(prep.header) - len(found)
    if missing:
        return FileProblem(
            reason=f"missing required column(s): {', '.join(missing)}",
            expected=expected,
            fix="add the missing column(s) to the export (or the header line, if it is missing); column names "
            "are matched case-insensitively",
            details={"line": 1, "missing": missing, "found": found, "other_columns": other},
        )
    doubled = sorted({h for h in lower if h in needed and lower.count(h) > 1})
    if doubled:
        return FileProblem(
            reason=f"column(s) appear more than once in the header: {', '.join(doubled)}",
            expected=expected,
            fix="deliver each column once",
            details={"line": 1, "found": found, "other_columns": other},
        )
    if prep.records == 0:
        return FileProblem("file has a header but no data rows", expected, "deliver the export with its rows")
    return None
