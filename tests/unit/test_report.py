"""The wijkprofiel report: built from the published release, self-contained, Dutch, and it loads in a real
headless browser (Debian's /usr/bin/chromium driven by Playwright; never a downloaded browser).

The mart here is small and hand-made (real wijk codes, so the map has polygons, plus one wijk that has
no polygon), published through wijkbeeld.publish exactly as the nightly job does.

docs/wijkprofiel.png is a screenshot of the report on the region demo data, made with :func:`screenshot`:
    .venv/bin/python -c "from tests.unit.test_report import screenshot;
    screenshot('<home>/reports/wijkprofiel/index.html', 'docs/wijkprofiel.png')"
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import duckdb
import pytest

from tests.homes import settings, warehouse
from wijkbeeld.publish import publish_release
from wijkbeeld.report import ReportError, build_report, wijkprofiel_dir
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

CHROMIUM = Path(os.environ.get("WIJKBEELD_CHROMIUM", "/usr/bin/chromium"))
CURRENT = ("2024-07/2025-06", "12mnd")
PERIODS = [("2022", "jaar"), ("2023", "jaar"), ("2024", "jaar"), ("2023-07/2024-06", "12mnd"), CURRENT]
GEMEENTEN = {"GM0744": "Baarle-Nassau", "GM0748": "Bergen op Zoom", "GM9999": "Proefgemeente"}
WIJKEN = [  # code, name, gemeente, inwoners
    ("WK074401", "Baarle-Nassau", "GM0744", 5200),
    ("WK074402", "Ulicoten", "GM0744", 1100),
    ("WK074403", "Castelré", "GM0744", 150),
    ("WK074800", "Wijk 00 Bergen op Zoom-Oude stad en omgeving", "GM0748", 9800),
    ("WK074801", "Wijk 01 Bergen op Zoom-Noord", "GM0748", 12000),
    ("WK999901", "<script>alert(1)</script> & Zoon", "GM9999", 800),  # no polygon; text must be escaped
]
INDICATORS = [  # code, naam, domein, eenheid, polariteit, privacy
    ("V01", "Woninginbraken per 1.000 woningen", "veiligheid", "per 1.000 woningen", 1, "standaard"),
    ("V07", "Overlast verward persoon per 1.000 inwoners", "veiligheid", "per 1.000 inwoners", 1, "gevoelig"),
    ("L01", "Meldingen openbare ruimte per 1.000 inwoners", "leefbaarheid", "per 1.000 inwoners", 0, "standaard"),
    ("G01", "Ernstig eenzaam (%)", "gezondheid", "%", 1, "standaard"),
    ("C01", "Inwoners", "context", "aantal", 0, "standaard"),
]
WIJK_TABLES = ["dim_gebied", "dim_indicator", "fct_indicator_waarde", "fct_kwetsbaarheid", "signalen"]


def _status(code: str, indicator: str, periode: tuple[str, str]) -> str:
    """A few planted statuses; everything else is ok."""
    if code == "WK074402" and indicator == "V07":
        return "onderdrukt"
    if code == "WK074403" and indicator in ("V01", "G01", "V07"):
        return "te_kleine_noemer"
    if code == "GM9999" or (code == "WK999901" and indicator == "L01"):
        return "geen_data"
    if indicator == "G01" and periode[1] == "12mnd":
        return "niet_geleverd"
    return "ok"


def write_sample_mart(warehouse: Path, *, variant: int = 0) -> None:
    """(Re)write the mart tables of a tiny region in ``warehouse``. ``variant`` shifts every value (and,
    from 1 on, drops wijken from the end), so each variant is a different release with different counts."""
    wijken = WIJKEN[: len(WIJKEN) - variant] if variant else WIJKEN
    gebieden = [("VR20", "Midden- en West-Brabant", "regio", None, None, 40000)]
    gebieden += [(code, naam, "gemeente", code, naam, 10000) for code, naam in GEMEENTEN.items()]
    gebieden += [(c, n, "wijk", g, GEMEENTEN[g], inw) for c, n, g, inw in wijken]
    values = []
    kwets = []
    for p_index, periode in enumerate(PERIODS):
        for g_index, (code, *_rest) in enumerate(gebieden):
            for i_index, (ind, *_x, pol, _privacy) in enumerate(INDICATORS):
                status = _status(code, ind, periode)
                waarde = round(10 + g_index * 1.5 + i_index + p_index * 0.7 + variant * 0.1, 1)
                ok = status == "ok"
                values.append(
                    (code, ind, *periode, round(waarde * 50) if ok else None, 1000, waarde if ok else None,
                     10.0 + i_index, round(100 * waarde / (10.0 + i_index)) if ok else None,
                     round((g_index - 4) * 0.4 * pol, 2) if ok and pol else None, g_index if ok else None,
                     0.5 if ok and p_index else None, status)
                )  # fmt: skip
        for w_index, (code, *_rest) in enumerate(wijken):
            index = None if code == "WK999901" else round(1.2 - w_index * 0.45 + p_index * 0.05, 2)
            kwets.append(
                (code, *periode, index, -0.3 if index is not None else None, None, None, None, index,
                 w_index + 1 if index is not None else None, w_index == 0, "V01 z 1,2; L01 z 0,8",
                 "ok" if index is not None else "onvoldoende_data")
            )  # fmt: skip
    signalen = [
        ("WK074401", *CURRENT, "S_MELDINGSBEREIDHEID", "Minder meldingen openbare ruimte terwijl de verloedering "
         "niet afneemt", "L01 120.0 -> 80.0 (-33.3 %; regio -2.0 %); L04 3.0 -> 3.5"),
        ("WK074401", "2023-07/2024-06", "12mnd", "S_STIJGING", "Sterke stijging", "V01 z 0.1 -> 1.4"),
    ]  # fmt: skip
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS mart")
        con.execute(
            "CREATE OR REPLACE TABLE mart.dim_gebied (gebiedcode VARCHAR, gebiedsnaam VARCHAR, niveau VARCHAR, "
            "gemeentecode VARCHAR, gemeentenaam VARCHAR, inwoners BIGINT)"
        )
        con.executemany("INSERT INTO mart.dim_gebied VALUES (?, ?, ?, ?, ?, ?)", gebieden)
        con.execute(
            "CREATE OR REPLACE TABLE mart.dim_indicator (indicator_code VARCHAR, naam VARCHAR, domein VARCHAR, "
            "eenheid VARCHAR, polariteit INTEGER, privacy_klasse VARCHAR, definitie VARCHAR, in_index BOOLEAN)"
        )
        con.executemany(
            "INSERT INTO mart.dim_indicator VALUES (?, ?, ?, ?, ?, ?, 'test', ? <> 0)",
            [(*row, row[4]) for row in INDICATORS],
        )
        con.execute(
            "CREATE OR REPLACE TABLE mart.fct_indicator_waarde (gebiedcode VARCHAR, indicator_code VARCHAR, "
            "periode VARCHAR, periode_type VARCHAR, teller BIGINT, noemer BIGINT, waarde DOUBLE, "
            "regio_waarde DOUBLE, index_regio DOUBLE, z_score DOUBLE, rang_in_regio BIGINT, "
            "verandering_vorig_jaar DOUBLE, status VARCHAR)"
        )
        con.executemany(f"INSERT INTO mart.fct_indicator_waarde VALUES ({', '.join('?' * 13)})", values)
        con.execute(
            "CREATE OR REPLACE TABLE mart.fct_kwetsbaarheid (gebiedcode VARCHAR, periode VARCHAR, "
            "periode_type VARCHAR, score_veiligheid DOUBLE, score_leefbaarheid DOUBLE, score_gezondheid DOUBLE, "
            "score_wonen DOUBLE, score_brandveiligheid DOUBLE, kwetsbaarheidsindex DOUBLE, rang_in_regio BIGINT, "
            "aandacht BOOLEAN, belangrijkste_indicatoren VARCHAR, status VARCHAR)"
        )
        con.executemany(f"INSERT INTO mart.fct_kwetsbaarheid VALUES ({', '.join('?' * 13)})", kwets)
        con.execute(
            "CREATE OR REPLACE TABLE mart.signalen (gebiedcode VARCHAR, periode VARCHAR, periode_type VARCHAR, "
            "signaal_code VARCHAR, omschrijving VARCHAR, onderbouwing VARCHAR)"
        )
        con.executemany("INSERT INTO mart.signalen VALUES (?, ?, ?, ?, ?, ?)", signalen)


def publish_sample(s: Settings, *, variant: int = 0):
    """Write the sample mart into the warehouse and publish it as a release."""
    write_sample_mart(s.warehouse_file, variant=variant)
    return publish_release(
        warehouse=Warehouse.from_settings(s),
        tables=WIJK_TABLES,
        gate={"resultaat": "geslaagd"},
        geografie_jaar=2024,
        perioden=sorted({p for p, _ in PERIODS}),
        code_versie="test",
        settings=s,
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One published sample release and its report (module scope: built once for the tests below)."""
    home = tmp_path_factory.mktemp("report") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WIJKBEELD_HOME", str(home))
        s = settings().ensure()
        publish_sample(s)
        # The report must come from the release, not the warehouse: spoil the warehouse after publishing.
        with duckdb.connect(str(s.warehouse_file)) as con:
            con.execute("UPDATE mart.dim_gebied SET gebiedsnaam = 'NIET GEPUBLICEERD'")
        build_report(s, warehouse())
    return s


def _read(s: Settings, name: str) -> str:
    return (wijkprofiel_dir(s) / name).read_text(encoding="utf-8")


def test_overview_has_map_ranking_and_signals_from_the_published_release(published: Settings) -> None:
    html = _read(published, "index.html")
    meta = json.loads(_read(published, "rapport.json"))
    assert meta == {"release_id": meta["release_id"], "periode": CURRENT[0], "periode_type": "12mnd", "wijken": 6}
    assert "NIET GEPUBLICEERD" not in html
    # Map: the five wijken with a reference polygon are paths linking to their page; the sixth is schematic.
    assert len(re.findall(r'<a href="wijk/WK0744\d\d\.html" class="area" data-wijk="WK0744\d\d"><path', html)) == 3
    assert len(re.findall(r'class="area" data-wijk="WK0748\d\d"><path', html)) == 2
    assert re.search(r'class="area" data-wijk="WK999901"><rect', html)
    assert "1 wijk(en) zonder kaartvlak" in html
    # Ranking: ordered by rank, the wijk without index last with its status in words.
    ranking = re.findall(r'<tr(?: class="aandacht")? data-wijk="(WK\d+)">', html)
    assert ranking == ["WK074401", "WK074402", "WK074403", "WK074800", "WK074801", "WK999901"]
    assert "onvoldoende gegevens: minder dan de helft van de indicatoren is beschikbaar" in html
    # Signals of the current period only, with their evidence.
    assert 'id="n-signalen">1<' in html
    assert "L01 120.0 -&gt; 80.0 (-33.3 %; regio -2.0 %)" in html
    assert "Lagere meldingsbereidheid" in html
    assert len(list((wijkprofiel_dir(published) / "wijk").glob("*.html"))) == 6


def test_wijk_page_compares_with_gemeente_and_region_and_explains_suppression(published: Settings) -> None:
    html = _read(published, "wijk/WK074402.html")
    assert "<h1>Ulicoten</h1>" in html
    row = re.search(r'<tr data-indicator="V01">(.*?)</tr>', html).group(1)
    cells = re.findall(r'<td class="n">(.*?)</td>', row)
    # wijk (gebied 5 in the sample: 10 + 5*1.5 + 0 + 4*0.7), gemeente GM0744 (gebied 1), region (gebied 0).
    assert cells[:3] == ["20,3", "14,3", "12,8"]
    # V07 is suppressed for this wijk: a short label in the cell, the explanation in words under the table.
    v07 = re.search(r'<tr data-indicator="V07">(.*?)</tr>', html).group(1)
    assert 'title="onderdrukt: te weinig gebeurtenissen om te publiceren' in v07 and ">onderdrukt</span>" in v07
    toelichting = html.split('<dl class="toelichting">')[1].split("</dl>")[0]
    assert "<dt>onderdrukt</dt><dd>te weinig gebeurtenissen om te publiceren" in toelichting
    # A domain without any indicator in the catalogue is not shown; one with nothing published says why.
    assert "<h3>Wonen" not in html
    assert 'data-indicator="G01"' not in html
    gezondheid = re.search(r'<p class="leeg" data-domein="gezondheid">(.*?)</p>', html).group(1)
    assert "niet geleverd: de bron heeft deze waarde niet aangeleverd" in gezondheid
    # Trend charts are inline SVG over the rolling periods; domain scores as bars; signals section present.
    assert html.count('<svg class="trend"') >= 3
    assert '<svg class="bars"' in html
    assert "Geen signalen in 2024-07/2025-06" in html
    castelre = _read(published, "wijk/WK074403.html")
    v01 = re.search(r'<tr data-indicator="V01">(.*?)</tr>', castelre).group(1)
    assert ">te kleine noemer</span>" in v01
    assert "<dt>te kleine noemer</dt><dd>te weinig inwoners, woningen of respondenten" in castelre


def test_wijk_page_lists_current_and_earlier_signals(published: Settings) -> None:
    html = _read(published, "wijk/WK074401.html")
    signal = re.search(r'<div class="sig" data-signaal="S_MELDINGSBEREIDHEID">(.*?)</div>', html).group(1)
    assert "L04 3.0 -&gt; 3.5" in signal
    assert "L01 Meldingen openbare ruimte per 1.000 inwoners" in signal  # the evidence's codes, named
    assert "Signalen in andere perioden" in html and "V01 z 0.1 -&gt; 1.4" in html


def test_pages_are_self_contained_and_escape_text(published: Settings) -> None:
    pages = [wijkprofiel_dir(published) / "index.html", *sorted((wijkprofiel_dir(published) / "wijk").glob("*.html"))]
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html, path
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), path
        assert "@import" not in html and "url(" not in html, path
        assert '<html lang="nl">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Zoon" in _read(published, "wijk/WK999901.html")


def test_schematic_fallback_without_reference_polygons(published: Settings, tmp_path: Path) -> None:
    result = build_report(published, warehouse(), geojson=tmp_path / "missing.geojson")
    html = result.path.read_text(encoding="utf-8")
    assert result.on_map == 0
    assert "Schematische weergave, geen kaart" in html
    assert "<path" not in html.split('id="kaart"')[1].split("</section>")[0]
    build_report(published, warehouse())  # restore the real map for the browser test


def test_report_without_a_release_is_a_clear_error(home: Path) -> None:
    from orchestration.cli import main

    with pytest.raises(ReportError, match="No published release yet"):
        build_report(settings(), warehouse())
    assert main(["report"]) == 2


def test_cli_report_prints_the_path(published: Settings, monkeypatch, capsys) -> None:
    from orchestration.cli import main

    monkeypatch.setenv("WIJKBEELD_HOME", str(published.home))
    assert main(["report"]) == 0
    assert str(wijkprofiel_dir(published) / "index.html") in capsys.readouterr().out


def test_refresh_summary_points_at_the_report_of_the_current_release(published: Settings) -> None:
    from wijkbeeld.summary import published_summary

    text = published_summary(published, warehouse())
    assert f"Wijkprofiel report:           {wijkprofiel_dir(published) / 'index.html'}" in text
    meta = wijkprofiel_dir(published) / "rapport.json"
    original = meta.read_text(encoding="utf-8")
    try:
        meta.write_text(json.dumps({"release_id": "20200101T000000Z-abcdef"}), encoding="utf-8")
        assert "is of release 20200101T000000Z-abcdef, not the current one" in published_summary(published, warehouse())
    finally:
        meta.write_text(original, encoding="utf-8")


def test_rollback_rebuilds_the_report_for_the_release_made_current(home: Path, capsys) -> None:
    from orchestration.cli import main

    s = settings().ensure()
    first = publish_sample(s).release.release_id
    second = publish_sample(s, variant=1).release.release_id
    build_report(s, warehouse())
    assert json.loads(_read(s, "rapport.json"))["release_id"] == second
    assert main(["rollback", first]) == 0
    assert json.loads(_read(s, "rapport.json"))["release_id"] == first
    assert f"Wijkprofiel report rebuilt: {wijkprofiel_dir(s) / 'index.html'}" in capsys.readouterr().out


def test_definitions_run_the_report_after_publishing() -> None:
    from dagster import AssetKey

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey(["wijkprofiel_rapport"]))
    assert node.group_name == "publicatie"
    assert AssetKey(["publicatie"]) in node.parent_keys
    job = defs.resolve_job_def("nightly_refresh")
    assert AssetKey(["wijkprofiel_rapport"]) in job.asset_layer.asset_graph.get_all_asset_keys()


def test_dagster_asset_builds_the_report_of_the_current_release(published: Settings, monkeypatch) -> None:
    from dagster import materialize

    from assets.report import wijkprofiel_rapport
    from orchestration.resources import resources

    monkeypatch.setenv("WIJKBEELD_HOME", str(published.home))
    (wijkprofiel_dir(published) / "index.html").unlink()
    result = materialize([wijkprofiel_rapport], resources=resources())
    assert result.success
    [event] = result.get_asset_materialization_events()
    meta = event.materialization.metadata
    assert meta["wijk_pages"].value == 6 and meta["wijken_on_map"].value == 5
    assert meta["report"].value == str(wijkprofiel_dir(published) / "index.html")
    assert (wijkprofiel_dir(published) / "index.html").is_file()


# --------------------------------------------------------------------------------------- real browser


def _browser():
    """Playwright driving Debian's chromium. Fails (never skips) when it is missing: CI must run this."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/ensure_chromium.sh` (make test does this)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: `make install` installs it from requirements.lock")
    return sync_playwright()


def _launch(p):
    return p.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
    )


def _watch(page) -> list[str]:
    """Collect console errors, uncaught page errors and failed requests of a page."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    return problems


def screenshot(html: str | Path, out: str | Path, *, width: int = 1280, height: int = 1400) -> None:
    """Save a PNG of a report page as Chromium renders it (used for docs/wijkprofiel.png)."""
    with _browser() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(Path(html).resolve().as_uri())
            page.screenshot(path=str(out))
        finally:
            browser.close()


def test_report_loads_in_headless_chromium(published: Settings, tmp_path: Path) -> None:
    index = wijkprofiel_dir(published) / "index.html"
    with _browser() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            problems = _watch(page)
            page.goto(index.as_uri())
            assert page.locator("h1").inner_text() == "Wijkprofiel Midden- en West-Brabant"
            assert page.locator("svg.map .area").count() == 6
            assert page.locator("#ranglijst tbody tr").first.get_attribute("data-wijk") == "WK074401"
            page.screenshot(path=str(tmp_path / "overview.png"))
            # Click Ulicoten on the map: its page opens with its own figures.
            page.locator('svg.map a[data-wijk="WK074402"]').click()
            page.wait_for_url("**/wijk/WK074402.html")
            assert page.locator("h1").inner_text() == "Ulicoten"
            assert page.locator('tr[data-indicator="V01"] td.n').first.inner_text() == "20,3"
            assert "onderdrukt" in page.locator('tr[data-indicator="V07"]').inner_text()
            assert page.locator("svg.trend").count() >= 3
            page.locator("text=Overzicht van de regio").click()
            page.wait_for_url("**/wijkprofiel/index.html")
            assert page.locator("svg.map .area").count() == 6
        finally:
            browser.close()
    assert problems == []
    assert (tmp_path / "overview.png").stat().st_size > 10_000
