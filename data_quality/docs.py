"""The quality report: Great Expectations Data Docs made usable offline, a summary page and a JSON file.

Layout under ``reports/quality``: ``index.html`` (summary of the latest result of every table, with the
failing rows; in Dutch for the platform's readers, without internal file paths), ``latest.json`` (the same,
machine-readable), ``tables/<table>.json`` (the latest result of
one table) and ``gx/<table>/`` (the Data Docs site of that table's latest validation).

GX's HTML loads Bootstrap, jQuery, Font Awesome and Vega from CDNs and its logo from S3. The report must
work on a machine without internet, so every page is parsed (lxml) and its document tree changed: script
elements and external stylesheets are removed, images point at the copies GX puts in ``static/``, CSS references
to other hosts are dropped, the lists that GX's index fills in with JavaScript are written as plain HTML lists,
and a small inline stylesheet replaces Bootstrap. Nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from lxml import html as lxml_html

INDEX = "index.html"
LATEST = "latest.json"
IMAGE_SUFFIXES = (".png", ".svg", ".gif", ".ico", ".jpg")

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
    """Change every page of a GX Data Docs site so that it needs nothing from the internet.

    GX copies about 4 MB of fonts, animations and stylesheets into ``static/`` that the changed pages
    do not use (GX inlines its stylesheet); only the images a page refers to are kept.
    """
    referenced: set[Path] = set()
    for page in site_dir.rglob("*.html"):
        doc = lxml_html.document_fromstring(page.read_bytes())
        _make_offline(doc, page, site_dir, referenced)
        page.write_bytes(lxml_html.tostring(doc, doctype="<!DOCTYPE html>", encoding="utf-8"))
    for asset in sorted((site_dir / "static").rglob("*"), reverse=True):  # files before their folders
        if asset.is_file() and asset not in referenced:
            asset.unlink()
        elif asset.is_dir() and not any(asset.iterdir()):
            asset.rmdir()


def _make_offline(doc: lxml_html.HtmlElement, page: Path, site_dir: Path, referenced: set[Path]) -> None:
    for script in doc.xpath("//script"):
        script.drop_tree()
    for link in doc.xpath("//link[@href]"):
        if _external(link.get("href")) and not _image(link.get("href")):
            link.drop_tree()
    for style in doc.xpath("//style"):
        style.text = _offline_css(style.text or "")
    for element in doc.xpath("//*[@style]"):
        element.set("style", _offline_css(element.get("style")))
    for attr in ("src", "href"):
        for element in doc.xpath(f"//*[@{attr}]"):
            if _image(element.get(attr)):
                element.set(attr, _local_image(element.get(attr), page, site_dir, referenced))
    for table in doc.xpath("//table[contains(@class, 'ge-index-page-')]"):
        if len(table) == 0:  # filled by GX's JavaScript: the same links as a plain list
            table.getparent().replace(table, _static_list(table.get("class"), page, site_dir))
    style = lxml_html.Element("style")
    style.text = OFFLINE_CSS
    doc.head.append(style)


def _external(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("http://", "https://", "//"))


def _image(url: str | None) -> bool:
    path = (url or "").split("?", 1)[0].lower()
    return path.endswith(IMAGE_SUFFIXES) and (_external(url) or "static/images/" in path)


def _local_image(url: str, page: Path, site_dir: Path, referenced: set[Path]) -> str:
    """GX's own copy of an image (``static/images/<file>``), relative to the page; empty when it has none."""
    local = site_dir / "static" / "images" / url.split("?", 1)[0].rsplit("/", 1)[-1]
    if not local.exists():
        return ""
    referenced.add(local)
    return Path(os.path.relpath(local, page.parent)).as_posix()


def _offline_css(css: str) -> str:
    """The stylesheet without what it would load from another host: ``@import`` rules and ``url(...)`` values
    of other hosts (a value becomes ``none``)."""
    out, rest = [], css
    while True:
        at = min((i for i in (_find(rest, "@import"), _find(rest, "url(")) if i >= 0), default=-1)
        if at < 0:
            return "".join(out) + rest
        out.append(rest[:at])
        rest = rest[at:]
        if rest.lower().startswith("@import"):
            end = rest.find(";")
            end = len(rest) if end < 0 else end + 1
            out.append("" if _external(rest[7:end].strip(" \t\n'\"url(;)")) else rest[:end])
        else:
            end = rest.find(")")
            end = len(rest) if end < 0 else end + 1
            out.append("none" if _external(rest[4 : end - 1].strip(" \t\n'\"")) else rest[:end])
        rest = rest[end:]


def _find(text: str, token: str) -> int:
    return text.lower().find(token)


def _static_list(table_class: str, page: Path, site_dir: Path) -> lxml_html.HtmlElement:
    """The validation (or expectation suite) pages of the site as a list of links, as GX's index shows them."""
    folder = site_dir / ("validations" if "validation" in table_class else "expectations")
    listing = lxml_html.Element("ul", {"class": "offline-list"})
    for target in sorted(folder.rglob("*.html")):
        link = lxml_html.Element("a", {"href": Path(os.path.relpath(target, page.parent)).as_posix()})
        link.text = target.relative_to(folder).with_suffix("").as_posix()
        item = lxml_html.Element("li")
        item.append(link)
        listing.append(item)
    if len(listing) == 0:
        empty = lxml_html.Element("li")
        empty.text = "geen"
        listing.append(empty)
    return listing


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


def render_summary(latest: dict[str, Any]) -> str:
    """The summary page (templates/summary.html.j2): one line per table, then each table's expectations with
    failing-row samples."""
    return _SUMMARY.render(latest=LATEST, **latest)


def _moment(iso: str) -> str:
    """'2026-12-02T03:27:45.805+00:00' -> '2026-12-02 03:27:45'."""
    return iso.replace("T", " ")[:19]


def _json_text(value: Any) -> str:
    return json.dumps(value, default=str)


_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters.update(moment=_moment, tojson_text=_json_text)
_SUMMARY = _ENV.get_template("summary.html.j2")
