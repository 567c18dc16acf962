"""The disclosure audit of the quality gate: the subtraction attack on everything a release would publish.

For every period it works out, from the mart's published figures only (rounded tellers, statuses, noemers,
the geography and the catalogue's public rules), the interval an attacker can give each hidden figure
(wijkbeeld.disclosure), and counts the hidden figures whose interval is narrower than their disclosure
range. One such figure fails the gate and blocks publication.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wijkbeeld.disclosure import DisclosureError, audit, load_rules, published_values


def _interval(period: str, iv: Any) -> dict[str, Any]:
    hi = None if iv.hi == float("inf") else round(iv.hi, 2)
    return {
        "periode": period,
        "gebiedcode": iv.gebiedcode,
        "indicator_code": iv.indicator,
        "grootheid": iv.quantity,
        "ondergrens": round(iv.lo, 2),
        "bovengrens": hi,
        "vereiste_breedte": iv.required,
    }


def run(con: Any, sample_size: int) -> tuple[int, list[dict[str, Any]], str]:
    """(hidden figures too narrow, a sample of them, a one-line summary in Dutch for the quality report)."""
    try:
        rules, relations = load_rules(con)
        result = audit(published_values(con, rules), rules, relations)
    except (DisclosureError, duckdb.Error) as exc:  # a failed audit, never a crashed gate
        message = str(exc).splitlines()[0]
        return 1, [{"fout": message}], f"de aanval kon niet worden doorgerekend: {message}"
    narrow = result.narrowest
    if narrow is None:
        narrowest = "geen verborgen cijfer"
    else:
        hi = "onbegrensd" if narrow.hi == float("inf") else f"{narrow.hi:.1f}"
        narrowest = (
            f"smalste interval: {narrow.indicator} {narrow.quantity} {narrow.gebiedcode} in [{narrow.lo:.1f}, {hi}] "
            f"(vereiste breedte {narrow.required:g})"
        )
    summary = f"{result.hidden} verborgen cijfers in {result.periods} perioden aangevallen; {narrowest}"
    sample = [_interval(period, iv) for period, iv in result.failures[:sample_size]]
    return len(result.failures), sample, summary
