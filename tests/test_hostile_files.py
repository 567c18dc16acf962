"""Hostile files and careless partners (issue 12): nothing lost in silence, nothing that stops every night,
nothing let in.

Every case is a file written by the test (none is committed). The rules checked throughout: a file is either
loaded completely or refused as a whole with a reason that says what and where (never which personal data);
row counts add up per file (read = accepted + rejected); one bad file never stops the others; resources per
file are bounded by settings; no symlink is followed out of landing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assets.ingest import ingest_dataset, validate_file
from tests.test_ingest import drop, load_geography, reason_json, rows
from wijkbeeld.config import settings

MELDINGEN_HEADER = (
    "MeldingNr;DatumMelding;Categorie;Subcategorie;Omschrijving;Straat;Huisnummer;Postcode;Status;DatumAfgehandeld"
)
SECRET = "Jansen-Geheim-4711"  # stands for personal data: it must never reach a record, log or error text


def melding(n: int, omschrijving: str = f"buren {SECRET} maken ruzie") -> str:
    return f"M2024-{n:05d};{1 + n % 28:02d}-06-2024 08:00;Afval;Sub;{omschrijving};Kerkstraat {SECRET};3;4901AA;Open;"


def meldingen_text(n_rows: int, special: dict[int, str] | None = None) -> str:
    """A meldingen file of ``n_rows`` data rows; ``special`` replaces data row k (1-based) by its own text."""
    lines = [MELDINGEN_HEADER]
    for k in range(1, n_rows + 1):
        lines.append((special or {}).get(k, melding(k)))
    return "\n".join(lines) + "\n"


def drop_meldingen(text: str, month: int = 7, gemeente: str = "GM0826") -> Path:
    return drop("gemeente", "meldingen", text, f"meldingen-{gemeente}-2024{month:02d}.csv")


def leveringen() -> dict[str, tuple[int, int]]:
    """File -> (rows accepted, rows rejected) of every delivery."""
    got = rows(
        "SELECT bron_bestand, rijen_geaccepteerd, rijen_afgewezen FROM meta.leveringen WHERE dataset = 'meldingen'"
    )
    return {name: (acc, rej) for name, acc, rej in got}


def loaded_lines(name: str) -> list[int]:
    return [r[0] for r in rows("SELECT bron_regel FROM raw.raw_gemeente__meldingen WHERE bron_bestand = ?", [name])]


def no_secret_anywhere() -> None:
    """The planted personal data is in no quarantine record, log line or warehouse table."""
    s = settings()
    for path in [*s.quarantine.rglob("*.reason.json"), *s.logs.glob("*")]:
        assert SECRET not in path.read_text(encoding="utf-8"), path
    details = rows("SELECT coalesce(string_agg(reden || details, ''), '') FROM meta.quarantaine")[0][0]
    assert SECRET not in details
    assert rows("SELECT count(*) FROM meta.afgewezen_rijen WHERE contains(waarde, ?)", [SECRET]) == [(0,)]


# ---------------------------------------------------------------- 1. one stray quote


def test_a_quote_inside_a_value_loads_every_row_of_the_file_and_its_neighbour(home: Path, tmp_path: Path) -> None:
    """`tv van 32" bij container` is a literal quote: DuckDB and the line pass agree, nothing is lost."""
    load_geography()
    stray = drop_meldingen(meldingen_text(378, {10: melding(10, 'tv van 32" bij container')}), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)
    verdict = validate_file(_copy(stray, tmp_path))

    report = ingest_dataset("gemeente", "meldingen")

    assert report.files_ingested == [stray.name, neighbour.name] and not report.files_quarantined
    assert leveringen() == {stray.name: (378, 0), neighbour.name: (5, 0)}
    assert loaded_lines(stray.name) == list(range(2, 380))
    assert loaded_lines(neighbour.name) == list(range(2, 7))
    assert verdict.accepted and (verdict.rows_total, verdict.rows_accepted) == (378, 378)


def test_an_unterminated_quote_refuses_the_file_with_its_line_and_the_batch_goes_on(home: Path, tmp_path: Path) -> None:
    """A value that opens a quote and never closes it would swallow the rest of the file: refused whole."""
    load_geography()
    bad = drop_meldingen(meldingen_text(378, {10: melding(10, '"32 inch tv bij container')}), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)
    verdict = validate_file(_copy(bad, tmp_path))

    report = ingest_dataset("gemeente", "meldingen")

    assert report.files_ingested == [neighbour.name]
    assert [q.file for q in report.files_quarantined] == [bad.name]
    reason = reason_json("gemeente", "meldingen", bad.name)
    assert "quote" in reason["reason"] and "line 11" in reason["reason"], reason
    assert leveringen() == {neighbour.name: (5, 0)} and loaded_lines(neighbour.name) == list(range(2, 7))
    assert not verdict.accepted and verdict.reasons == [reason["reason"]]
    no_secret_anywhere()


def test_a_quote_after_a_closed_value_rejects_that_row_only_and_counts_add_up(home: Path) -> None:
    load_geography()
    text = meldingen_text(40, {7: melding(7, '"tv van 32"bij container')})
    path = drop_meldingen(text)

    report = ingest_dataset("gemeente", "meldingen")

    assert report.files_ingested == [path.name]
    assert leveringen() == {path.name: (39, 1)}
    assert 8 not in loaded_lines(path.name) and len(loaded_lines(path.name)) == 39
    assert rows("SELECT regel, waarde FROM meta.afgewezen_rijen") == [(8, None)]


def test_a_multi_line_value_over_the_line_limit_is_refused_with_its_line(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIJKBEELD_MAX_LINE_BYTES", "20000")
    load_geography()
    long_value = '"' + "\n".join(["bla " * 100] * 60) + '"'  # 24 KB over 60 lines, properly closed
    bad = drop_meldingen(meldingen_text(250, {200: melding(200, long_value)}), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)

    report = ingest_dataset("gemeente", "meldingen")

    assert report.files_ingested == [neighbour.name]
    reason = reason_json("gemeente", "meldingen", bad.name)
    assert "line 201" in reason["reason"] and "20000" in reason["reason"], reason
    assert "WIJKBEELD_MAX_LINE_BYTES" in reason["how_to_fix"]
    assert leveringen() == {neighbour.name: (5, 0)}


def test_a_carriage_return_inside_a_line_is_refused_not_a_crash(home: Path) -> None:
    load_geography()
    bad = drop_meldingen(meldingen_text(30, {4: melding(4, "oude\rmac")}), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)

    report = ingest_dataset("gemeente", "meldingen")

    assert report.files_ingested == [neighbour.name]
    assert "line 5" in reason_json("gemeente", "meldingen", bad.name)["reason"]


def test_the_reader_and_the_line_pass_must_agree_or_the_file_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Safety net: if the line pass ever misjudges a quote, the file is refused, not loaded short or mixed up."""
    import assets.ingest as ingest

    load_geography()
    quotes = {10: melding(10, 'tv van 32" bij container'), 20: melding(20, '28" scherm')}
    bad = drop_meldingen(meldingen_text(40, quotes), month=6)
    neighbour = drop_meldingen(meldingen_text(12), month=7)
    real = ingest._quote_state

    def old_rule(text: str, in_quote: bool, delimiter: str, quote: str) -> tuple[bool, bool]:
        """The rule before issue 12: an odd number of quotes on a line toggles 'inside a quote'."""
        if quote not in text:
            return real(text, in_quote, delimiter, quote)
        return (not in_quote if text.count(quote) % 2 else in_quote), False

    monkeypatch.setattr(ingest, "_quote_state", old_rule)
    report = ingest_dataset("gemeente", "meldingen")

    assert report.files_ingested == [neighbour.name] and [q.file for q in report.files_quarantined] == [bad.name]
    assert "read consistently" in reason_json("gemeente", "meldingen", bad.name)["reason"]
    assert leveringen() == {neighbour.name: (12, 0)} and loaded_lines(neighbour.name) == list(range(2, 14))


# ---------------------------------------------------------------- 3. a wide header; 8. no line breaks


def test_a_header_with_20000_extra_columns_is_refused_with_the_limit(home: Path, tmp_path: Path) -> None:
    load_geography()
    wide = MELDINGEN_HEADER + "".join(f";extra{k}" for k in range(20_000))
    bad = drop_meldingen(meldingen_text(3).replace(MELDINGEN_HEADER, wide), month=6)
    neighbour = drop_meldingen(meldingen_text(5), month=7)
    verdict = validate_file(_copy(bad, tmp_path))

    report = ingest_dataset("gemeente", "meldingen")

    assert report.files_ingested == [neighbour.name]
    reason = reason_json("gemeente", "meldingen", bad.name)
    assert reason["reason"] == "the header has 20010 columns, more than the limit of 1000"
    assert "WIJKBEELD_MAX_COLUMNS" in reason["how_to_fix"] and "extra1" not in json.dumps(reason)
    assert verdict.reasons == [reason["reason"]]


def test_a_file_without_line_breaks_is_never_read_into_memory_whole(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracemalloc

    monkeypatch.setenv("WIJKBEELD_MAX_LINE_BYTES", "100000")
    load_geography()
    one_line = MELDINGEN_HEADER + ";" + "x" * 4_000_000  # 4 MB, not one line break
    path = tmp_path / "meldingen-GM0826-202406.csv"
    path.write_text(one_line, encoding="cp1252")

    tracemalloc.start()
    verdict = validate_file(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert verdict.reasons == ["line 1 is longer than 100000 bytes (a file without line breaks?)"]
    assert peak < 2_000_000, peak
    drop("gemeente", "meldingen", path.read_bytes(), path.name)
    assert [q.file for q in ingest_dataset("gemeente", "meldingen").files_quarantined] == [path.name]


def _copy(path: Path, tmp_path: Path) -> Path:
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    return copy


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
