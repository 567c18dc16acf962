"""The quality gate: good data passes, each kind of violation fails and is named, the report works offline,
and a failing blocking asset check stops the downstream (publish) asset."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.quality import CHECK_NAME, build_quality_checks
from data_quality.gate import load_specs, run_gate, validate_table
from orchestration.resources import resources
from tests.homes import platform, settings

MART_TABLES = ["dim_gebied", "dim_indicator", "fct_indicator_waarde", "fct_kwetsbaarheid", "herkomst"]

GOOD_WAREHOUSE_SQL = """
CREATE SCHEMA seeds;
CREATE SCHEMA mart;
CREATE SCHEMA intermediate;
CREATE TABLE seeds.indicator_catalogus AS SELECT * FROM (VALUES
  ('V01', 'Woninginbraken per 1.000 woningen', 'veiligheid', 'def', 'per 1.000 woningen', 1000.0, 1,
   'Politie', 'standaard', 200, true, 0.0, 200.0),
  ('V07', 'Overlast verward persoon per 1.000 inwoners', 'veiligheid', 'def', 'per 1.000 inwoners',
   1000.0, 1, 'Politie', 'gevoelig', 500, true, 0.0, 300.0),
  ('G01', 'Ernstig eenzaam (%)', 'gezondheid', 'def', '%', 100.0, 1, 'GGD', 'standaard', 50, true,
   0.0, 100.0)
) AS v(indicator_code, naam, domein, definitie, eenheid, schaal, polariteit, bron, privacy_klasse,
       minimum_noemer, in_index, plausibel_min, plausibel_max);
CREATE TABLE seeds.regio_gemeenten AS SELECT 'GM0826' AS gemeentecode, 'Oosterhout' AS gemeentenaam;
ALTER TABLE seeds.indicator_catalogus ADD COLUMN noemer_kolom VARCHAR;
UPDATE seeds.indicator_catalogus SET noemer_kolom = CASE indicator_code WHEN 'V01' THEN 'a_woning'
  WHEN 'V07' THEN 'a_inw' ELSE 'respondenten' END;
CREATE TABLE seeds.indicator_relaties (relatie VARCHAR, rol VARCHAR, indicator_code VARCHAR, grootheid VARCHAR);
CREATE TABLE intermediate.int_indicator_regels AS SELECT * FROM (VALUES
  ('V01', 'standaard', 200, 'som', true, false, false, false),
  ('V07', 'gevoelig', 500, 'som', true, false, false, false),
  ('G01', 'standaard', 50, 'gepoold', true, true, false, false)
) AS v(indicator_code, privacy_klasse, minimum_noemer, hierarchie, teller_geheel, noemer_uit_bron,
       teller_max_noemer, noemer_is_telling);
CREATE TABLE mart.dim_gebied AS SELECT * FROM (VALUES
  ('VR20', 'Midden- en West-Brabant', 'regio', NULL, NULL, 2024, 1100000, 480000, 470000),
  ('GM0826', 'Oosterhout', 'gemeente', 'GM0826', 'Oosterhout', 2024, 57000, 25000, 24500),
  ('WK082606', 'Dommelbergen', 'wijk', 'GM0826', 'Oosterhout', 2024, 6000, 2600, 2550),
  ('WK082601', 'Centrum', 'wijk', 'GM0826', 'Oosterhout', 2024, 5000, 2400, 2300)
) AS v(gebiedcode, gebiedsnaam, niveau, gemeentecode, gemeentenaam, geografie_jaar, inwoners, woningen,
       huishoudens);
CREATE TABLE mart.dim_indicator AS
  SELECT indicator_code, naam, domein, definitie, eenheid, polariteit, bron, privacy_klasse,
         minimum_noemer, in_index, false AS noemer_is_telling, false AS teller_max_noemer
  FROM seeds.indicator_catalogus;
CREATE TABLE mart.fct_indicator_waarde (
  gebiedcode VARCHAR, indicator_code VARCHAR, periode VARCHAR, periode_type VARCHAR, teller BIGINT,
  noemer DOUBLE, waarde DOUBLE, ondergrens DOUBLE, bovengrens DOUBLE, regio_waarde DOUBLE,
  index_regio DOUBLE, z_score DOUBLE, rang_in_regio INTEGER, verandering_vorig_jaar DOUBLE, status VARCHAR);
INSERT INTO mart.fct_indicator_waarde VALUES
  ('WK082606', 'V01', '2024', 'jaar', 15, 2600, 5.8, NULL, NULL, 4.0, 145.0, 1.2, 1, 0.4, 'ok'),
  ('WK082601', 'V01', '2024', 'jaar', NULL, 2400, NULL, NULL, NULL, 4.0, NULL, NULL, NULL, NULL,
   'onderdrukt'),
  ('GM0826', 'V01', '2024', 'jaar', 100, 25000, 4.0, NULL, NULL, 4.0, 100.0, NULL, NULL, NULL, 'ok'),
  ('VR20', 'V01', '2024', 'jaar', 100, 25000, 4.0, NULL, NULL, 4.0, 100.0, NULL, NULL, NULL, 'ok'),
  ('WK082606', 'V07', '2024', 'jaar', 10, 6000, 1.7, NULL, NULL, NULL, NULL, 2.1, 1, NULL, 'ok'),
  ('WK082601', 'V07', '2024', 'jaar', NULL, 5000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   'onderdrukt'),
  ('WK082606', 'G01', '2024', 'jaar', NULL, 120, 14.2, 10.1, 18.3, NULL, NULL, -0.5, 2, NULL, 'ok'),
  ('WK082601', 'G01', '2024', 'jaar', NULL, 30, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   'te_kleine_noemer'),
  ('WK082606', 'V01', '2024-07/2025-06', '12mnd', 20, 2600, 7.7, NULL, NULL, 7.7, 100.0, 1.5, 1, NULL,
   'ok'),
  ('VR20', 'V01', '2024-07/2025-06', '12mnd', 20, 2600, 7.7, NULL, NULL, 7.7, 100.0, NULL, NULL, NULL,
   'ok'),
  ('WK082601', 'V01', '2024-07/2025-06', '12mnd', NULL, NULL, NULL, NULL, NULL, 7.7, NULL, NULL, NULL,
   NULL, 'geen_data');
-- the rows before rounding (what the disclosure checks protect) and their level
CREATE TABLE intermediate.int_indicator_beveiligd AS SELECT * FROM (VALUES
  ('WK082606', 'V01', '2024', 'jaar', 'wijk', 14.0, 2600.0, NULL),
  ('WK082601', 'V01', '2024', 'jaar', 'wijk', 86.0, 2400.0, NULL),
  ('GM0826', 'V01', '2024', 'jaar', 'gemeente', 100.0, 25000.0, NULL),
  ('VR20', 'V01', '2024', 'jaar', 'regio', 100.0, 25000.0, NULL),
  ('WK082606', 'V07', '2024', 'jaar', 'wijk', 11.0, 6000.0, NULL),
  ('WK082601', 'V07', '2024', 'jaar', 'wijk', 4.0, 5000.0, NULL),
  ('WK082606', 'G01', '2024', 'jaar', 'wijk', NULL, 120.0, 14.2),
  ('WK082601', 'G01', '2024', 'jaar', 'wijk', NULL, 30.0, 20.0),
  ('WK082606', 'V01', '2024-07/2025-06', '12mnd', 'wijk', 21.0, 2600.0, NULL),
  ('VR20', 'V01', '2024-07/2025-06', '12mnd', 'regio', 21.0, 2600.0, NULL),
  ('WK082601', 'V01', '2024-07/2025-06', '12mnd', 'wijk', NULL, NULL, NULL)
) AS v(gebiedcode, indicator_code, periode, periode_type, niveau, teller, noemer, waarde_geleverd);
CREATE TABLE mart.fct_kwetsbaarheid AS SELECT * FROM (VALUES
  ('WK082606', '2024', 'jaar', 1.2, 0.3, -0.5, NULL, 0.1, 0.6, 1, true, 'V07, V01, G01', 'ok'),
  ('WK082601', '2024', 'jaar', NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, NULL, 'onvoldoende_data')
) AS v(gebiedcode, periode, periode_type, score_veiligheid, score_leefbaarheid, score_gezondheid,
       score_wonen, score_brandveiligheid, kwetsbaarheidsindex, rang_in_regio, aandacht,
       belangrijkste_indicatoren, status);
CREATE TABLE mart.herkomst AS SELECT * FROM (VALUES
  ('politie/misdrijven', '2024', 'misdrijven-2024.csv', repeat('a', 64), 1200, 3,
   TIMESTAMP '2025-01-05 10:00:00'),
  ('cbs/kerncijfers', '2024', 'kwb-2024.csv', repeat('b', 64), 300, 0, TIMESTAMP '2025-01-05 10:00:00')
) AS v(bron, periode, bron_bestand, bron_sha256, rijen_geaccepteerd, rijen_afgewezen, geladen_op);
CREATE TABLE mart.signalen AS SELECT 'WK082606' AS gebiedcode, '2024' AS periode, 'jaar' AS periode_type,
  'S_STAPELING' AS signaal_code, 'Stapeling' AS omschrijving, 'veiligheid 1.2, ...' AS onderbouwing;
ALTER TABLE mart.dim_gebied ADD COLUMN geometrie_wkt VARCHAR;
UPDATE mart.dim_gebied SET geometrie_wkt = 'POLYGON ((4.8 51.6, 4.9 51.6, 4.9 51.7, 4.8 51.6))'
  WHERE gebiedcode = 'WK082606';
CREATE MACRO periode_start(p) AS CAST(left(p, 4) || '-' || CASE WHEN length(p) = 4 THEN '01' ELSE p[6:7] END
  || '-01' AS DATE);
CREATE MACRO periode_eind(p) AS CAST(last_day(CAST(CASE WHEN length(p) = 4 THEN p || '-12' ELSE p[9:15] END
  || '-01' AS DATE)) AS DATE);
ALTER TABLE mart.fct_indicator_waarde ADD COLUMN periode_start DATE;
ALTER TABLE mart.fct_indicator_waarde ADD COLUMN periode_eind DATE;
UPDATE mart.fct_indicator_waarde SET periode_start = periode_start(periode), periode_eind = periode_eind(periode);
ALTER TABLE mart.fct_kwetsbaarheid ADD COLUMN periode_start DATE;
ALTER TABLE mart.fct_kwetsbaarheid ADD COLUMN periode_eind DATE;
UPDATE mart.fct_kwetsbaarheid SET periode_start = periode_start(periode), periode_eind = periode_eind(periode);
ALTER TABLE mart.signalen ADD COLUMN periode_start DATE;
ALTER TABLE mart.signalen ADD COLUMN periode_eind DATE;
UPDATE mart.signalen SET periode_start = periode_start(periode), periode_eind = periode_eind(periode);
CREATE TABLE mart.dim_status AS SELECT * FROM (VALUES
  ('ok', 'Gepubliceerd.', true, 'fct_indicator_waarde'),
  ('onderdrukt', 'Onderdrukt.', false, 'fct_indicator_waarde'),
  ('te_kleine_noemer', 'Te kleine noemer.', false, 'fct_indicator_waarde'),
  ('niet_geleverd', 'Niet geleverd.', false, 'fct_indicator_waarde'),
  ('geen_data', 'Geen data.', false, 'fct_indicator_waarde'),
  ('onvoldoende_data', 'Onvoldoende data.', false, 'fct_kwetsbaarheid')
) AS v(status, omschrijving, heeft_waarde, geldt_voor);
CREATE TABLE mart.fct_bijdrage AS SELECT * FROM (VALUES
  ('WK082606', 'V07', '2024', 'jaar', DATE '2024-01-01', DATE '2024-12-31', 'veiligheid', 2.1, 0.2, 0.42, 1),
  ('WK082606', 'V01', '2024', 'jaar', DATE '2024-01-01', DATE '2024-12-31', 'veiligheid', 1.2, 0.15, 0.18, 2)
) AS v(gebiedcode, indicator_code, periode, periode_type, periode_start, periode_eind, domein, z_score,
       gewicht_in_index, bijdrage, volgorde);
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WIJKBEELD_HOME", str(tmp_path / "home"))
    settings().ensure()
    return tmp_path / "home"


@pytest.fixture
def warehouse(home: Path) -> Path:
    path = settings().warehouse_file
    with duckdb.connect(str(path)) as con:
        con.execute(GOOD_WAREHOUSE_SQL)
    return path


def execute(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(sql)


def failed_names(table: str, warehouse: Path) -> list[str]:
    result = validate_table(table, *platform())
    assert not result.success
    return [e.name for e in result.failed]


def test_expectations_yaml_compiles_for_every_mart_table() -> None:
    specs = load_specs()
    assert set(MART_TABLES) <= set(specs)
    # dim_status has only its presence and row count here: its structure is dbt's (constraints, data tests)
    assert all(spec.checks for name, spec in specs.items() if name != "dim_status")


def test_good_data_passes_and_writes_offline_report(warehouse: Path, home: Path) -> None:
    result = run_gate(*platform())

    assert result.success, result.failed
    assert [t.table for t in result.tables] == [
        *MART_TABLES,
        "signalen",
        "fct_bijdrage",
        "dim_status",
    ]  # no wijkprofiel
    fct = next(t for t in result.tables if t.table == "fct_indicator_waarde")
    assert fct.row_count == 11
    assert {"disclosure_audit", "disclosure_teller_gevoelig", "waarde_plausible", "row_count"} <= {
        e.name for e in fct.expectations
    }

    quality = home / "reports" / "quality"
    assert result.report == quality / "index.html"
    latest = json.loads((quality / "latest.json").read_text())
    assert latest["success"] is True
    assert latest["tables"]["fct_indicator_waarde"]["expectations"][0] == {
        "name": "table_present",
        "description": "tabel mart.fct_indicator_waarde bestaat",
        "success": True,
        "observed_value": 1,
        "failing_rows": None,
        "sample": [],
        "error": None,
    }
    assert fct.docs_page is not None and fct.docs_page.is_file()
    assert (quality / "gx" / "fct_indicator_waarde" / "index.html").is_file()

    external = re.compile(
        r"<script[^>]*\ssrc=[\"']?https?://|<link[^>]*\shref=[\"']?https?://|url\(\s*[\"']?https?://|@import",
        re.IGNORECASE,
    )
    pages = list(quality.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        text = page.read_text()
        assert not external.search(text), page
        assert not re.search(r"<img[^>]*src=[\"']https?://", text), page
    validation_page = fct.docs_page.read_text()
    assert "onthullingsbeheer: elke gepubliceerde teller is afgerond op een veelvoud van 5" in validation_page
    # the summary is Dutch for its readers and shows no internal file paths
    summary = (quality / "index.html").read_text()
    assert '<html lang="nl">' in summary and "kwaliteitspoort" in summary and "geslaagd" in summary
    assert all(str(home) not in page.read_text() for page in [*pages, quality / "latest.json"])


@pytest.mark.parametrize(
    ("table", "sql", "expected"),
    [
        (
            "fct_indicator_waarde",
            "UPDATE mart.fct_indicator_waarde SET teller = 3 WHERE teller = 15",
            "disclosure_teller_standaard",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE mart.fct_indicator_waarde SET teller = 7 WHERE teller = 10",
            "disclosure_teller_gevoelig",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE mart.fct_indicator_waarde SET teller = 12 WHERE teller = 15",
            "disclosure_teller_multiple_of_5",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE mart.fct_indicator_waarde SET waarde = NULL WHERE teller = 15",
            "ok_has_waarde",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE mart.fct_indicator_waarde SET teller = 5 WHERE status = 'onderdrukt'",
            "not_ok_has_no_value",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE mart.fct_indicator_waarde SET waarde = 250.0 WHERE teller = 15",
            "waarde_plausible",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE mart.fct_indicator_waarde SET z_score = 3.5 WHERE teller = 15",
            "z_score_range",
        ),
        (
            "fct_kwetsbaarheid",
            "UPDATE mart.fct_kwetsbaarheid SET kwetsbaarheidsindex = -4 WHERE status = 'ok'",
            "scores_range",
        ),
        # the disclosure rules on the values they protect, before rounding: each fails on a planted case
        (
            "fct_indicator_waarde",
            "UPDATE intermediate.int_indicator_beveiligd SET teller = 3 WHERE gebiedcode = 'WK082606' "
            "AND indicator_code = 'V01' AND periode = '2024'",
            "disclosure_exact_teller_standaard",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE intermediate.int_indicator_beveiligd SET teller = 9 WHERE gebiedcode = 'WK082606' "
            "AND indicator_code = 'V07'",
            "disclosure_exact_teller_gevoelig",
        ),
        (
            "fct_indicator_waarde",
            # 3.0 % of 120 respondents is 3.6 persons
            "UPDATE intermediate.int_indicator_beveiligd SET waarde_geleverd = 3.0 WHERE gebiedcode = 'WK082606' "
            "AND indicator_code = 'G01'",
            "disclosure_survey_persons",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE intermediate.int_indicator_regels SET noemer_is_telling = true WHERE indicator_code = 'V01'",
            "disclosure_counting_noemer",
        ),
        (
            "fct_indicator_waarde",
            # the rate of the exact teller 14 (5.4) instead of the published 15 (5.8)
            "UPDATE mart.fct_indicator_waarde SET waarde = 5.4 WHERE teller = 15",
            "waarde_from_published_teller",
        ),
        (
            "fct_indicator_waarde",
            "UPDATE mart.fct_indicator_waarde SET status = 'onderdrukt', teller = NULL, waarde = NULL "
            "WHERE gebiedcode = 'VR20' AND periode = '2024'",
            "regio_waarde_is_published",
        ),
    ],
)
def test_violation_fails_and_names_the_expectation(warehouse: Path, table: str, sql: str, expected: str) -> None:
    execute(warehouse, sql)

    assert expected in failed_names(table, warehouse)


def test_failing_rows_are_counted_and_sampled(warehouse: Path) -> None:
    execute(warehouse, "UPDATE mart.fct_indicator_waarde SET teller = 7 WHERE teller = 10")

    result = validate_table("fct_indicator_waarde", *platform())

    failed = {e.name: e for e in result.failed}
    gevoelig = failed["disclosure_teller_gevoelig"]
    assert gevoelig.failing_rows == gevoelig.observed_value == 1
    assert gevoelig.sample == [
        {
            "gebiedcode": "WK082606",
            "indicator_code": "V07",
            "periode": "2024",
            "periode_type": "jaar",
            "privacy_klasse": "gevoelig",
            "status": "ok",
            "teller": 7,
        }
    ]
    assert "0-9" in gevoelig.description


def test_disclosure_audit_fails_where_a_hidden_teller_can_be_narrowed(warehouse: Path) -> None:
    # Oosterhout V01 2024 published as 15 ([13, 17]) beside WK082606's 15 ([13, 17]): the hidden WK082601
    # lies in [13 - 17, 17 - 13] = [-4, 4], and an onderdrukt standaard count is at least 1: [1, 4].
    execute(
        warehouse,
        "UPDATE mart.fct_indicator_waarde SET teller = 15, waarde = 0.6 WHERE gebiedcode IN ('GM0826', 'VR20') "
        "AND indicator_code = 'V01' AND periode = '2024'",
    )
    result = validate_table("fct_indicator_waarde", *platform())
    audit = next(e for e in result.expectations if e.name == "disclosure_audit")
    assert not audit.success and audit.failing_rows == 1
    assert audit.sample == [
        {
            "periode": "2024 jaar",
            "gebiedcode": "WK082601",
            "indicator_code": "V01",
            "grootheid": "teller",
            "ondergrens": 1.0,
            "bovengrens": 4.0,
            "vereiste_breedte": 4.0,
        }
    ]


def test_disclosure_audit_reports_what_it_attacked(warehouse: Path) -> None:
    result = validate_table("fct_indicator_waarde", *platform())
    audit = next(e for e in result.expectations if e.name == "disclosure_audit")
    assert audit.success
    # hidden: WK082601 V01 2024 (in [81, 89]), V07 2024, G01 2024 (no relation: [0, inf))
    assert "3 verborgen cijfers in 2 perioden aangevallen" in audit.description
    assert "smalste interval: V01 teller WK082601 in [81.0, 89.0]" in audit.description


def publish_copy(warehouse: Path) -> Path:
    """Stand-in for a published release: a copy of the warehouse at publish/wijkbeeld.duckdb."""
    published = settings().publish / "wijkbeeld.duckdb"
    published.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(warehouse, published)
    return published


def test_row_count_compared_with_previous_release(warehouse: Path) -> None:
    execute(warehouse, "INSERT INTO mart.dim_gebied SELECT * FROM mart.dim_gebied")  # 8 rows
    execute(warehouse, "INSERT INTO mart.dim_gebied SELECT * FROM mart.dim_gebied")  # 16 rows
    without_release = validate_table("dim_gebied", *platform())
    assert "row_count" not in [e.name for e in without_release.failed]  # no previous release: passes
    publish_copy(warehouse)

    # drop to 5 of 16 rows (31 %)
    execute(warehouse, "DELETE FROM mart.dim_gebied WHERE rowid >= 5")
    result = validate_table("dim_gebied", *platform())

    row_count = next(e for e in result.expectations if e.name == "row_count")
    assert not row_count.success
    assert row_count.observed_value == 5
    assert result.previous_row_count == 16
    assert "gepubliceerde release (16 rijen)" in row_count.description


def test_missing_required_table_fails(warehouse: Path) -> None:
    execute(warehouse, "DROP TABLE mart.fct_kwetsbaarheid")

    result = run_gate(*platform())

    assert not result.success
    assert result.failed == {
        "fct_kwetsbaarheid": ["table_present"],
        # the rules that compare with fct_kwetsbaarheid cannot be evaluated without it, so they fail too
        "fct_bijdrage": ["bijdragen_tellen_op_tot_index"],
    }


def test_expectation_that_cannot_be_evaluated_fails_with_its_error(warehouse: Path) -> None:
    execute(warehouse, "DROP TABLE mart.dim_gebied")

    result = validate_table("fct_kwetsbaarheid", *platform())

    # the rule that names dim_gebied
    assert [e.name for e in result.failed] == ["wijken_only"]
    failed = result.failed[0]
    assert failed.error is not None and "dim_gebied" in failed.error
    assert failed.failing_rows is None
    # the disclosure audit takes the geography from it: it fails, saying why
    audit = validate_table("fct_indicator_waarde", *platform())
    assert [e.name for e in audit.failed] == ["disclosure_audit"] and "dim_gebied" in audit.failed[0].description


def test_single_table_run_updates_its_part_of_the_report(warehouse: Path, home: Path) -> None:
    run_gate(*platform())
    execute(warehouse, "UPDATE mart.herkomst SET rijen_afgewezen = -1")

    result = run_gate(*platform(), ["herkomst"])

    assert not result.success
    latest = json.loads((home / "reports" / "quality" / "latest.json").read_text())
    assert latest["success"] is False
    assert latest["tables"]["herkomst"]["success"] is False
    assert latest["tables"]["dim_gebied"]["success"] is True  # kept from the full run
    assert "rows_not_negative" in (home / "reports" / "quality" / "index.html").read_text()


def test_blocking_check_skips_downstream_asset(warehouse: Path) -> None:
    execute(warehouse, "UPDATE mart.fct_indicator_waarde SET teller = 3 WHERE teller = 15")

    @dg.asset(name="fct_indicator_waarde")
    def upstream() -> None:
        """Stands in for the dbt model (the warehouse table is already there)."""

    @dg.asset(deps=[dg.AssetKey(["fct_indicator_waarde"])])
    def publish() -> None:
        """Stands in for the publish asset."""

    checks = build_quality_checks(["fct_indicator_waarde"])
    result = dg.materialize([upstream, publish, *checks], resources=resources(), raise_on_error=False)

    assert not result.success
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialised == {dg.AssetKey(["fct_indicator_waarde"])}
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == CHECK_NAME
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "disclosure_teller_standaard" in evaluation.metadata["failed_expectations"].value


def test_passing_check_lets_downstream_run(warehouse: Path) -> None:
    @dg.asset(name="fct_indicator_waarde")
    def upstream() -> None:
        """Stands in for the dbt model."""

    @dg.asset(deps=[dg.AssetKey(["fct_indicator_waarde"])])
    def publish() -> None:
        """Stands in for the publish asset."""

    result = dg.materialize([upstream, publish, *build_quality_checks(["fct_indicator_waarde"])], resources=resources())

    assert result.success
    assert dg.AssetKey(["publish"]) in {e.asset_key for e in result.get_asset_materialization_events()}
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed
    report = evaluation.metadata["quality_report"].value
    assert Path(report).name == "index.html" and Path(report).is_file()
