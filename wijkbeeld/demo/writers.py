"""How the demo writes files: whole files with exclusive create (never overwriting), seeded random streams per
purpose, CSV bytes in a contract's encoding and minimal, byte-stable .xlsx workbooks."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class DemoSummary:
    """What generate() did: files written and skipped, and files/rows written per partner/dataset."""

    files_written: int = 0
    files_skipped: int = 0
    files_per_dataset: dict[str, int] = field(default_factory=dict)
    rows_per_dataset: dict[str, int] = field(default_factory=dict)


class Writer:
    """Writes whole files with exclusive create, so an existing partner file is never touched."""

    def __init__(self, landing: Path, summary: DemoSummary) -> None:
        self.landing = landing
        self.summary = summary

    def write(self, partner: str, dataset: str, name: str, data: bytes, rows: int) -> None:
        folder = self.landing / partner / dataset
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with (folder / name).open("xb") as fh:
                fh.write(data)
        except FileExistsError:
            self.summary.files_skipped += 1
            return
        # The file is whole: tell ingest so it need not wait for the settle time (contract: <name>.complete).
        (folder / f"{name}.complete").touch()
        key = f"{partner}/{dataset}"
        self.summary.files_written += 1
        self.summary.files_per_dataset[key] = self.summary.files_per_dataset.get(key, 0) + 1
        self.summary.rows_per_dataset[key] = self.summary.rows_per_dataset.get(key, 0) + rows


def seeded_rng(seed: int, purpose: str) -> np.random.Generator:
    """One independent stream per purpose, so adding a dataset never changes another one's bytes."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


def month_range(start: str, end: str) -> pd.PeriodIndex:
    """Validate 'YYYY-MM' bounds and return the months between them (inclusive)."""
    if not all(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v) for v in (start, end)):
        raise ValueError(f"start and end must look like 'YYYY-MM', got {start!r} and {end!r}")
    first, last = pd.Period(start, freq="M"), pd.Period(end, freq="M")
    if first > last or first.year < 2015:
        raise ValueError(f"need 2015-01 <= start <= end, got {start} .. {end}")
    return pd.period_range(first, last, freq="M")


def apportion(total: int, shares: np.ndarray) -> np.ndarray:
    """Split an integer total over shares with largest remainders (the parts add up exactly)."""
    raw = total * shares / shares.sum()
    parts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[: total - parts.sum()]] += 1
    return parts


def decimal_comma(values: np.ndarray, suppressed: np.ndarray) -> np.ndarray:
    """One decimal with a decimal comma; CBS writes '.' for a suppressed value."""
    text = np.array([f"{v:.1f}".replace(".", ",") for v in values], dtype=object)
    text[suppressed] = "."
    return text


def csv_bytes(frame: pd.DataFrame, sep: str = ";", encoding: str = "utf-8") -> bytes:
    return frame.to_csv(sep=sep, index=False, lineterminator="\n").encode(encoding)


def seasonal_factor(months: pd.PeriodIndex, amplitude: float, peak_month: int) -> np.ndarray:
    month = np.asarray(months.month, dtype=float)
    return 1.0 + amplitude * np.cos(2 * np.pi * (month - peak_month) / 12.0)


XLSX_TIMESTAMP = datetime(2020, 1, 1)  # fixed document properties and zip entry times: stable bytes
_EXCEL_EPOCH = date(1899, 12, 30)
_COLUMN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_XLSX_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def xlsx_bytes(sheet: str, rows: Sequence[Sequence[object]]) -> bytes:
    """A minimal one-sheet .xlsx (strings inline, numbers, dates as Excel serials with a date format).

    Written directly rather than with openpyxl: its pure-Python XML writer managed about 65,000 cells/s
    here, which made the corporatie and handhaving workbooks alone take well over 30 s. The bytes
    depend only on the content (fixed properties and zip times); tests read the files back with openpyxl.
    """
    width = max(len(row) for row in rows)
    body = "".join(
        f'<row r="{r}">' + "".join(_xlsx_cell(f"{_COLUMN_LETTERS[c]}{r}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    stamp = XLSX_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
            'metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
        ),
        "docProps/core.xml": (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/'
            'terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>wijkbeeld demo'
            f'</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_XLSX_NS}" xmlns:r="{_REL_NS}"><sheets>'
            f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{_XLSX_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
            '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
            '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
            '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0"'
            ' fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0"'
            ' fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0"'
            ' xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal"'
            ' xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{_XLSX_NS}"><dimension ref="A1:{_COLUMN_LETTERS[width - 1]}{len(rows)}"/>'
            f"<sheetData>{body}</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            info = zipfile.ZipInfo(name, date_time=XLSX_TIMESTAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, _XML_HEAD + xml)
    return out.getvalue()


def _xlsx_cell(ref: str, value: object) -> str:
    """One <c> element; None, NaN and '' are left out (an empty cell)."""
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def years_of(months: pd.PeriodIndex) -> list[int]:
    return list(range(months[0].year, months[-1].year + 1))


def decimal_text(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def skip_dst_gap(times: np.ndarray) -> np.ndarray:
    """Move local times in the hour that does not exist (last Sunday of March, 02:00-02:59) one hour on."""
    idx = pd.DatetimeIndex(times)
    gap = (idx.month == 3) & (idx.day >= 25) & (idx.dayofweek == 6) & (idx.hour == 2)
    return np.where(gap, times + np.timedelta64(60, "m"), times)


def draw_counts(rng: np.random.Generator, lam: np.ndarray, calm: np.ndarray) -> np.ndarray:
    """Poisson counts [area, kind, month]. The 'calm' areas (Dommelbergen) get binomial counts with a
    quarter of the Poisson variance, so a planted change of +30 % shows for every seed."""
    counts = rng.poisson(lam)
    trials = lam[calm] / 0.75
    whole = np.floor(trials)
    trials = (whole + (rng.random(trials.shape) < trials - whole)).astype(np.int64)  # unbiased rounding
    counts[calm] = rng.binomial(trials, 0.75)
    return counts
