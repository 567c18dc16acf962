"""The quality report: Great Expectations Data Docs made usable offline, a summary page and a JSON file.

Layout under ``reports/quality``: ``index.html`` (summary of the latest result of every table, with the
failing rows; in Dutch for the platform's readers, without internal file paths), ``latest.json`` (the same,
machine-readable), ``tables/<table>.json`` (the latest result of
one table) and ``gx/<table>/`` (the Data Docs site of that table's latest validation).

GX's HTML loads Bootstrap, jQuery, Font Awesome and Vega from CDNs and its logo from S3. The report must
work on a machine without internet, so every page is rewritten: external scripts and stylesheets are
removed (and the inline scripts that need them), images point at the copies GX puts in ``static/``, the
lists that GX's index fills in with JavaScript are written as plain HTML, and a small inline stylesheet
replaces Bootstrap. Nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

INDEX = "index.html"
LATEST = "latest.json"

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*href=[\"']https?://[^>]*>", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?https?://[^)]*\)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+[^;]*https?://[^;]*;", re.IGNORECASE)
# An image or icon: GX's own static copy (any relative depth) or its S3 web asset.
_IMAGE_REF = re.compile(
    r"(?P<attr>src|href)=\"(?:https?://[^\"]*/|[^\"]*static/images/)(?P<file>[\w.-]+\.(?:png|svg|gif|ico|jpg))"
    r"(?:\?[^\"]*)?\""
)
_JS_TABLE = re.compile(r"<table\b[^>]*class=\"[^\"]*ge-index-page-(?P<kind>[\w-]+)-table[^\"]*\"[^>]*>\s*</table>")

# Replaces Bootstrap/Font Awesome for the classes GX's pages use; system fonts only.
OFFLINE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#212529;
font-size:15px;line-height:1.45}a{color:#0b5ed7}
.navbar{display:flex;align-items:center;padding:.3rem 1rem;border-bottom:1px solid #dee2e6}
.container-fluid{padding:0 1rem}.row{display:flex;flex-wrap:wrap}.col-12{flex:0 0 100%}
.col-6{flex:0 0 50%}.col-md-2,.col-lg-2{flex:0 0 18%;max-width:18%}
.col-md-10,.col-lg-10{flex:0 0 80%;max-width:80%;padding-left:1rem}
@media (max-width:800px){.col-md-2,.col-lg-2,.col-md-10,.col-lg-10,.col-6{flex:0 0 100%;max-width:100%}}
table{border-collapse:collapse;margin:.4rem 0;width:100%}
td,th{border-top:1px solid #dee2e6;padding:.3rem .5rem;text-align:left;vertical-align:top}
.alert{background:#e9ecef;border-radius:4px;padding:.5rem .8rem;margin:.6rem 0}
.card{border:1px solid #dee2e6;border-radius:4px;margin-bottom:.8rem}
.card-header{background:#f1f3f5;padding:.4rem}.card-body{padding:.5rem}
.breadcrumb{display:inline-flex;list-style:none;gap:.5rem;padding:0;margin:0 1rem}
.nav{list-style:none;padding:0}.nav-link{display:block;padding:.2rem .4rem}.tab-pane{margin-bottom:1rem}
.text-danger{color:#b02a37}.text-success{color:#146c43}.text-warning{color:#997404}
.fas::before{font-style:normal;font-weight:bold}.fa-check-circle::before{content:"\\2714"}
.fa-times::before{content:"\\2718"}.fa-exclamation-triangle::before{content:"\\26A0"}
.fa-question-circle::before{content:"?"}.modal,[onclick],[data-toggle=collapse],
.card:has(.btn-group-toggle){display:none}.collapse{display:block}
.show-scrollbars{overflow:auto;max-height:30rem}pre,code{white-space:pre-wrap;word-break:break-word}
.offline-list{padding-left:1.2rem}
"""


def make_site_offline(site_dir: Path) -> None:
    """Rewrite every page of a GX Data Docs site so that it needs nothing from the internet.

    GX copies about 4 MB of fonts, animations and stylesheets into ``static/`` that the rewritten pages
    do not use (GX inlines its stylesheet); only the images a page refers to are kept.
    """
    referenced: set[Path] = set()
    for page in site_dir.rglob("*.html"):
        text = _offline_page(page.read_text(encoding="utf-8"), page, site_dir, referenced)
        page.write_text(text, encoding="utf-8")
    for asset in sorted((site_dir / "static").rglob("*"), reverse=True):  # files before their folders
        if asset.is_file() and asset not in referenced:
            asset.unlink()
        elif asset.is_dir() and not any(asset.iterdir()):
            asset.rmdir()


def _offline_page(text: str, page: Path, site_dir: Path, referenced: set[Path]) -> str:
    images = site_dir / "static" / "images"

    def image(match: re.Match[str]) -> str:
        local = images / match["file"]
        if not local.exists():
            return f'{match["attr"]}=""'
        referenced.add(local)
        return f'{match["attr"]}="{Path(os.path.relpath(local, page.parent)).as_posix()}"'

    def static_list(match: re.Match[str]) -> str:
        folder = "validations" if "validation" in match["kind"] else "expectations"
        links = [
            f'<li><a href="{Path(os.path.relpath(p, page.parent)).as_posix()}">'
            f"{html.escape(p.relative_to(site_dir / folder).with_suffix('').as_posix())}</a></li>"
            for p in sorted((site_dir / folder).rglob("*.html"))
        ]
        return f'<ul class="offline-list">{"".join(links) or "<li>geen</li>"}</ul>'

    text = _SCRIPT.sub("", text)
    text = _EXTERNAL_LINK.sub("", text)
    text = _CSS_IMPORT.sub("", text)
    text = _CSS_URL.sub("none", text)
    text = _IMAGE_REF.sub(image, text)
    text = _JS_TABLE.sub(static_list, text)
    return text.replace("</head>", f"<style>{OFFLINE_CSS}</style>\n</head>", 1)


# --- summary: latest.json and index.html -----------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise report updates: asset checks of several tables may finish at the same time."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_quality_report(
    table_results: list[dict[str, Any]], reports: Path, *, table_order: list[str], replace: bool
) -> Path:
    """Store the latest result of each validated table and rebuild latest.json and index.html.

    ``table_results`` are ``TableResult.to_dict()`` values. With ``replace`` the tables not in this run
    are dropped from the report (a full gate run); otherwise their earlier results stay. Returns the
    path of index.html.
    """
    per_table = reports / "tables"
    with _locked(reports):
        per_table.mkdir(parents=True, exist_ok=True)
        if replace:
            for stale in per_table.glob("*.json"):
                stale.unlink()
        for result in table_results:
            entry = dict(result)
            if entry.get("docs_page"):
                entry["docs_page"] = Path(os.path.relpath(entry["docs_page"], reports)).as_posix()
            _write_atomic(per_table / f"{entry['table']}.json", json.dumps(entry, indent=2, default=str))
        tables = {
            name: json.loads((per_table / f"{name}.json").read_text(encoding="utf-8"))
            for name in table_order
            if (per_table / f"{name}.json").exists()
        }
        latest = {
            "generated_at": datetime.now(UTC).isoformat(),
            "success": bool(tables) and all(t["success"] for t in tables.values()),
            "tables": tables,
        }
        _write_atomic(reports / LATEST, json.dumps(latest, indent=2, default=str))
        _write_atomic(reports / INDEX, render_summary(latest))
    return reports / INDEX


_SUMMARY_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:1.5rem;color:#212529}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #dee2e6;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f1f3f5}.ok{color:#146c43;font-weight:bold}
.fail{color:#b02a37;font-weight:bold}tr.failed td{background:#fbeaea}section{margin-top:2rem}
table.sample{font-size:.85em}details{margin:.3rem 0}
"""


def _status(success: bool) -> str:
    return '<span class="ok">&#10004; geslaagd</span>' if success else '<span class="fail">&#10008; afgekeurd</span>'


def _sample_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    return (
        "<details open><summary>voorbeeld van rijen die niet voldoen</summary>"
        f'<table class="sample"><tr>{head}</tr>{body}</table></details>'
    )


def render_summary(latest: dict[str, Any]) -> str:
    """The summary page: one line per table, then each table's expectations with failing-row samples."""
    tables = latest["tables"]
    overview = "".join(
        f'<tr><td><a href="#{html.escape(name)}">{html.escape(name)}</a></td><td>{_status(t["success"])}</td>'
        f"<td>{'' if t['row_count'] is None else t['row_count']}</td>"
        f"<td>{html.escape(', '.join(e['name'] for e in t['expectations'] if not e['success']))}</td>"
        f"<td>{html.escape(_moment(t['validated_at']))}</td>"
        f"<td>{_docs_link(t)}</td></tr>"
        for name, t in tables.items()
    )
    sections = "".join(_table_section(name, t) for name, t in tables.items())
    return (
        '<!DOCTYPE html>\n<html lang="nl"><head><meta charset="utf-8">'
        "<title>wijkbeeld kwaliteitspoort</title>"
        f"<style>{_SUMMARY_CSS}</style></head><body>"
        f"<h1>wijkbeeld kwaliteitspoort: {_status(latest['success'])}</h1>"
        "<p>Voordat een nieuwe release van de mart wordt gepubliceerd, controleert de kwaliteitspoort elke tabel. "
        "Alleen als alle controles slagen, wordt de release gepubliceerd; anders blijft de vorige release staan.</p>"
        f"<p>Rapport gemaakt op {html.escape(_moment(latest['generated_at']))} (UTC). Machineleesbaar: "
        f'<a href="{LATEST}">{LATEST}</a>.</p>'
        "<table><tr><th>tabel</th><th>uitslag</th><th>rijen</th><th>afgekeurde controles</th>"
        f"<th>gecontroleerd op (UTC)</th><th>details</th></tr>{overview}</table>{sections}</body></html>\n"
    )


def _moment(iso: str) -> str:
    """'2026-12-02T03:27:45.805+00:00' -> '2026-12-02 03:27:45'."""
    return iso.replace("T", " ")[:19]


def _docs_link(table: dict[str, Any]) -> str:
    page = table.get("docs_page")
    return f'<a href="{html.escape(page)}">technisch detail (Great Expectations, Engels)</a>' if page else ""


def _table_section(name: str, table: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr class="{"" if e["success"] else "failed"}"><td>{_status(e["success"])}</td>'
        f"<td>{html.escape(e['name'])}</td><td>{html.escape(e['description'])}"
        f"{_sample_table(e.get('sample') or [])}</td>"
        f"<td>{html.escape(json.dumps(e['observed_value'], default=str))}</td>"
        f"<td>{'' if e['failing_rows'] is None else e['failing_rows']}</td></tr>"
        for e in sorted(table["expectations"], key=lambda e: e["success"])  # failures first
    )
    previous = table.get("previous_row_count")
    return (
        f'<section id="{html.escape(name)}"><h2>{html.escape(name)}: {_status(table["success"])}</h2>'
        f"<p>Rijen: {table['row_count']}"
        f"{'' if previous is None else f'; in de gepubliceerde release: {previous}'}. {_docs_link(table)}</p>"
        "<table><tr><th>uitslag</th><th>controle</th><th>omschrijving</th><th>waargenomen</th>"
        f"<th>rijen die niet voldoen</th></tr>{rows}</table></section>"
    )
