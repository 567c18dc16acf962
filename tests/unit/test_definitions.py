"""The Dagster definitions load and read as the data flow: ingest -> dbt -> quality checks -> publish."""

from __future__ import annotations

from dagster import AssetKey

from assets.transform import mart_tables
from orchestration.definitions import defs

EXPECTED_MART = {
    "dim_gebied",
    "dim_indicator",
    "dim_status",
    "fct_bijdrage",
    "fct_indicator_waarde",
    "fct_kwetsbaarheid",
    "herkomst",
    "signalen",
    "wijkprofiel",
}


def _graph():
    return defs.resolve_asset_graph()


def test_definitions_load_with_the_nightly_job_schedule_and_sensor() -> None:
    job = defs.resolve_job_def("nightly_refresh")
    assert job.executor_def.name == "in_process"
    schedule = defs.resolve_schedule_def("nightly_refresh_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Amsterdam"
    assert defs.resolve_sensor_def("landing_sensor") is not None


def test_asset_keys_are_readable_and_grouped_by_layer() -> None:
    graph = _graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    for dataset in (
        "raw_cbs__kerncijfers",
        "raw_cbs__adressen",
        "raw_politie__misdrijven",
        "raw_politie__incidenten",
        "raw_gemeente__meldingen",
    ):
        assert groups[dataset] == "ingest", dataset
    assert groups["stg_politie__misdrijven"] == "staging"
    assert groups["int_indicator_teller"] == "intermediate"
    assert set(mart_tables()) == EXPECTED_MART
    for table in EXPECTED_MART:
        assert groups[table] == "mart", table
    assert groups["publicatie"] == "publicatie"


def test_lineage_runs_from_landing_to_publication() -> None:
    graph = _graph()
    stg = graph.get(AssetKey(["stg_politie__misdrijven"]))
    assert AssetKey(["raw_politie__misdrijven"]) in stg.parent_keys
    publish = graph.get(AssetKey(["publicatie"]))
    assert {AssetKey([t]) for t in EXPECTED_MART} <= set(publish.parent_keys)


def test_every_mart_table_has_a_blocking_quality_check() -> None:
    blocking = {
        spec.asset_key.to_user_string()
        for checks_def in defs.asset_checks or []
        for spec in checks_def.check_specs
        if spec.blocking
    }
    assert blocking >= EXPECTED_MART


def test_wijkprofiel_contract_labels_every_index_indicator_as_the_catalogue_names_it() -> None:
    """wijkprofiel's columns follow the catalogue (seed); their Dutch labels in the dbt yml (which become the column
    comments in every release) must name each indicator as the catalogue does."""
    import csv
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2] / "dbt_project"
    with (root / "seeds" / "indicator_catalogus.csv").open(encoding="utf-8") as f:
        names = {r["indicator_code"].lower(): r["naam"] for r in csv.DictReader(f) if r["in_index"] == "true"}
    models = yaml.safe_load((root / "models" / "marts" / "_marts.yml").read_text(encoding="utf-8"))["models"]
    columns = {c["name"]: c for c in next(m for m in models if m["name"] == "wijkprofiel")["columns"]}
    for code, naam in names.items():
        for suffix in ("waarde", "index", "status"):
            column = columns.get(f"{code}_{suffix}")
            assert column is not None, f"{code}_{suffix} missing in _marts.yml"
            assert column["description"].startswith(f"{naam}: "), column
            assert column["data_type"] == ("varchar" if suffix == "status" else "double")
    indicator_columns = {
        c for c in columns if c.rsplit("_", 1)[-1] in ("waarde", "index", "status") and c[1:3].isdigit()
    }
    assert len(indicator_columns) == 3 * len(names)
