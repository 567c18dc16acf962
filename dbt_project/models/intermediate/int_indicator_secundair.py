"""Secondary suppression: the rows to hide besides the primary ones, so no hidden figure can be worked back.

A Python model because it solves linear programmes (wijkbeeld.disclosure, SciPy's HiGHS): for every
period it works out, from the figures a release would show, the interval an attacker can give each hidden
figure, and hides the published row chosen from public information (smallest public size, then
gebiedcode) until every interval is at least as wide as the disclosure range. See docs/methodology.md.
Incremental by period: a night protects only the periods of int_perioden_gewijzigd (each period is
protected on its own, so the others keep their cells).
"""

COLUMNS = ["indicator_code", "periode", "periode_type", "gebiedcode"]


def _records(relation):
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def _literal(text):
    return "'" + text.replace("'", "''") + "'"


def _keep_only_unchanged_periods(dbt, session):
    """Remove the periods this night rebuilds and those no longer published (the pre-hook of the SQL models,
    here in Python: the connection must not hold an unread result when the model reads its inputs)."""
    rebuild = {(r["periode"], r["periode_type"]) for r in _records(dbt.ref("int_perioden_gewijzigd"))}
    current = {(r["periode"], r["periode_type"]) for r in _records(dbt.ref("int_perioden"))}
    existing = session.execute(f"select distinct periode, periode_type from {dbt.this}").fetchall()
    for periode, periode_type in existing:
        if (periode, periode_type) in rebuild or (periode, periode_type) not in current:
            session.execute(
                f"delete from {dbt.this} where periode = ? and periode_type = ?", [periode, periode_type]
            ).fetchall()
    return rebuild


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    import pandas as pd

    from wijkbeeld.disclosure import secondary_rows

    primair = dbt.ref("int_indicator_primair")
    if dbt.is_incremental:
        rebuild = _keep_only_unchanged_periods(dbt, session)
        keys = ", ".join(_literal(f"{periode}|{periode_type}") for periode, periode_type in sorted(rebuild))
        primair = primair.filter(f"periode || '|' || periode_type in ({keys or 'null'})")
    rows = secondary_rows(
        _records(primair),
        _records(dbt.ref("int_indicator_regels")),
        _records(dbt.ref("indicator_relaties")),
    )
    return pd.DataFrame(rows, columns=COLUMNS).astype("string")
