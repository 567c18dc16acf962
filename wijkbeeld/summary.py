"""A person-readable summary of the current publication (printed by `make run` and `wijkbeeld refresh`)."""

from __future__ import annotations

import json

from wijkbeeld.publish import current_release
from wijkbeeld.report import wijkprofiel_dir
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse


def published_summary(s: Settings, warehouse: Warehouse, *, new_release: bool = True) -> str:
    """Release id, row counts, the wijken with aandacht and the signals of the newest period, where files are."""
    release = current_release(s)
    if release is None:
        return "No release published."
    with warehouse.open(release.duckdb_path, read_only=True) as con:
        periode, periode_type = con.execute(
            "select periode, periode_type from mart.fct_kwetsbaarheid "
            "order by case periode_type when '12mnd' then 0 else 1 end, periode desc limit 1"
        ).fetchone() or (None, None)
        aandacht = con.execute(
            "select k.gebiedcode, g.gebiedsnaam, g.gemeentenaam, k.rang_in_regio, "
            "k.belangrijkste_indicatoren "
            "from mart.fct_kwetsbaarheid k join mart.dim_gebied g using (gebiedcode) "
            "where k.aandacht and k.periode = ? and k.periode_type = ? "
            "order by k.rang_in_regio nulls last, k.gebiedcode",
            [periode, periode_type],
        ).fetchall()
        signalen = con.execute(
            "select s.gebiedcode, g.gebiedsnaam, s.signaal_code, s.onderbouwing "
            "from mart.signalen s join mart.dim_gebied g using (gebiedcode) "
            "where s.periode = ? and s.periode_type = ? order by s.signaal_code, s.gebiedcode",
            [periode, periode_type],
        ).fetchall()
    verb = "Published new release" if new_release else "No change since the current release"
    lines = [f"{verb}: {release.release_id}"]
    lines += [f"  {table:<22} {count:>9} rows" for table, count in sorted(release.row_counts.items())]
    lines.append(f"Wijken with aandacht in {periode} ({periode_type}): {len(aandacht)}")
    for code, naam, gemeente, rang, waarom in aandacht:
        rang_txt = f"rank {rang}" if rang is not None else "no rank"
        lines.append(f"  {code} {naam} ({gemeente}), {rang_txt}: {waarom or '-'}")
    lines.append(f"Signals in {periode} ({periode_type}): {len(signalen)}")
    lines += [f"  {signaal} {code} {naam}: {bewijs}" for code, naam, signaal, bewijs in signalen]
    lines.append(f"Published DuckDB (BI tools): {s.publish / 'wijkbeeld.duckdb'}")
    lines.append(f"Parquet per table:            {s.publish / 'current' / 'parquet'}")
    lines.append(f"Quality report:               {s.reports / 'quality' / 'index.html'}")
    lines.append(f"Wijkprofiel report:           {_report_line(s, release.release_id)}")
    return "\n".join(lines)


def _report_line(s: Settings, release_id: str) -> str:
    """Where the wijkprofiel report is, or why it does not show this release."""
    index, meta = wijkprofiel_dir(s) / "index.html", wijkprofiel_dir(s) / "rapport.json"
    if not meta.is_file():
        return "not built yet (run `wijkbeeld report`)"
    built_for = json.loads(meta.read_text(encoding="utf-8")).get("release_id")
    if built_for != release_id:
        return f"{index} is of release {built_for}, not the current one (run `wijkbeeld report`)"
    return str(index)
