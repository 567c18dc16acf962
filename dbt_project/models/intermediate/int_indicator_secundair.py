"""Secondary suppression: the rows to hide besides the primary ones, so no hidden figure can be worked back.

A Python model because it solves linear programmes (wijkbeeld.disclosure, SciPy's HiGHS): for every
period it works out, from the figures a release would show, the interval an attacker can give each hidden
figure, and hides the published row chosen from public information (smallest public size, then
gebiedcode) until every interval is at least as wide as the disclosure range. See docs/methodology.md.
"""

COLUMNS = ["indicator_code", "periode", "periode_type", "gebiedcode"]


def _records(relation):
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from wijkbeeld.disclosure import secondary_rows

    rows = secondary_rows(
        _records(dbt.ref("int_indicator_primair")),
        _records(dbt.ref("int_indicator_regels")),
        _records(dbt.ref("indicator_relaties")),
    )
    return pd.DataFrame(rows, columns=COLUMNS).astype("string")
