"""One home per rule: a mart table's structure is its dbt contract (columns, types, keys) and the ``data_tests:``
beside it; the quality gate (data_quality/expectations.yaml) holds only release-level rules.

Read from the prepared dbt manifest and the gate's compiled expectations, so moving a rule back into the gate, or
dropping one from dbt, fails here. tests/integration/test_rules_in_dbt.py shows that dbt enforces them.
"""

from __future__ import annotations

import json
from pathlib import Path

from data_quality.gate import _KINDS, load_specs
from wijkbeeld.settings import DBT_PROJECT_DIR

MANIFEST = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
MARTS = {
    node["name"]: node
    for node in MANIFEST["nodes"].values()
    if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
}
# (model, column) -> accepted values: the allowed codes BI users filter on
ACCEPTED = {
    ("dim_gebied", "niveau"): ["regio", "gemeente", "wijk"],
    ("dim_indicator", "privacy_klasse"): ["standaard", "gevoelig"],
    ("dim_indicator", "polariteit"): [-1, 0, 1],
    ("fct_indicator_waarde", "periode_type"): ["jaar", "12mnd"],
    ("fct_indicator_waarde", "status"): ["ok", "onderdrukt", "te_kleine_noemer", "niet_geleverd", "geen_data"],
    ("fct_kwetsbaarheid", "periode_type"): ["jaar", "12mnd"],
    ("fct_kwetsbaarheid", "status"): ["ok", "onvoldoende_data"],
    ("signalen", "signaal_code"): ["S_MELDINGSBEREIDHEID", "S_STIJGING", "S_STAPELING"],
    ("wijkprofiel", "periode_type"): ["jaar", "12mnd"],
}
NOT_NULL = {
    ("dim_gebied", "gebiedsnaam"),
    ("dim_gebied", "niveau"),
    ("dim_indicator", "naam"),
    ("dim_indicator", "domein"),
    ("dim_indicator", "privacy_klasse"),
    ("dim_indicator", "polariteit"),
    ("dim_indicator", "in_index"),
    ("fct_indicator_waarde", "status"),
    ("fct_kwetsbaarheid", "status"),
    ("signalen", "omschrijving"),
    ("signalen", "onderbouwing"),
    ("herkomst", "bron_bestand"),
    ("fct_bijdrage", "bijdrage"),
    ("fct_bijdrage", "z_score"),
    ("fct_bijdrage", "gewicht_in_index"),
    ("dim_status", "omschrijving"),
}


def _tests(kind: str) -> dict[tuple[str, str], dict]:
    return {
        (node["attached_node"].rsplit(".", 1)[-1], node["column_name"]): node["test_metadata"]["kwargs"]
        for node in MANIFEST["nodes"].values()
        if node["resource_type"] == "test" and node.get("test_metadata", {}).get("name") == kind
    }


def test_every_mart_is_an_enforced_contract_with_a_primary_key_and_typed_columns() -> None:
    assert len(MARTS) >= 9
    for name, node in MARTS.items():
        assert node["config"]["contract"]["enforced"], name
        assert any(c["type"] == "primary_key" for c in node["constraints"]), name
        assert all(column.get("data_type") for column in node["columns"].values()), name


def test_accepted_values_and_not_null_columns_are_dbt_data_tests() -> None:
    accepted = _tests("accepted_values")
    for key, values in ACCEPTED.items():
        assert key in accepted, key
        assert accepted[key]["values"] == values, key
    assert set(_tests("not_null")) >= NOT_NULL


def test_the_gate_holds_only_release_level_rules() -> None:
    assert _KINDS == ("between", "rule", "audit")  # no columns_present / not_null / unique / in_set any more
    names = {check.name for spec in load_specs().values() for check in spec.checks}
    assert not names & {"contract_columns", "key_not_null", "key_unique", "status_allowed", "niveau_allowed"}
    assert {"disclosure_audit", "waarde_plausible", "disclosure_teller_multiple_of_5"} <= names


def test_model_yml_uses_data_tests() -> None:
    """dbt's current key (``tests:`` is the deprecated spelling)."""
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert not [line for line in lines if line.strip().startswith("tests:")], Path(path).name
