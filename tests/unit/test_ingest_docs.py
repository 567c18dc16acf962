"""The valid examples in docs/partners.md stay valid: each one is rebuilt from the page and checked."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.homes import platform_kw
from wijkbeeld.ingest import validate_file

PAGE = Path(__file__).resolve().parents[2] / "docs" / "partners.md"
SECTIONS = re.split(r"\n### ", PAGE.read_text(encoding="utf-8"))[1:]


def _cell(text: str) -> object:
    if text == "":
        return None
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.\d+", text):
        return float(text)
    if re.fullmatch(r"\d\d-\d\d-\d{4}", text):
        return datetime.strptime(text, "%d-%m-%Y")  # an Excel date cell
    return text


def _write_example(section: str, folder: Path) -> tuple[str, Path]:
    """(dataset, file) rebuilt from one section: a ```csv block, or a markdown table of the sheet's rows."""
    from openpyxl import Workbook

    title = section.split("\n", 1)[0]
    dataset, name = re.match(r"(\S+) — `([^`]+)`", title).groups()
    path = folder / name
    if name.endswith(".csv"):
        body = re.search(r"```csv\n(.*?)```", section, re.S).group(1)
        path.write_bytes(body.encode("cp1252" if dataset == "gemeente/meldingen" else "utf-8"))
        return dataset, path
    wb = Workbook()
    ws = wb.active
    ws.title = re.search(r"sheet `([^`]+)`", title).group(1)
    for line in section.split("\n"):
        if re.match(r"\| \d+ \|", line):
            ws.append([_cell(c.strip()) for c in line.strip().strip("|").split("|")][1:])
    wb.save(path)
    return dataset, path


def test_every_dataset_has_an_example() -> None:
    names = {re.match(r"(\S+)", s).group(1) for s in SECTIONS}
    from wijkbeeld.ingest.contracts import all_contracts

    assert names == {c.name for c in all_contracts()}


@pytest.mark.parametrize("section", SECTIONS, ids=[s.split(" ", 1)[0] for s in SECTIONS])
def test_the_example_file_is_accepted(home: Path, tmp_path: Path, section: str) -> None:
    dataset, path = _write_example(section, tmp_path)
    verdict = validate_file(path, **platform_kw())  # the dataset is recognised from the example's file name
    assert verdict.dataset == dataset
    assert verdict.accepted and verdict.rows_rejected == 0, verdict.text()
