"""The import rule of docs/architecture.md, checked on the source: the library never imports the Dagster assembly,
and no import hides inside a function to dodge a cycle.

- ``wijkbeeld/`` is the library: it imports only itself (and third-party packages, never Dagster);
- ``data_quality/`` is the quality gate's library: ``wijkbeeld`` and itself, never Dagster;
- ``assets/`` holds the Dagster definitions: the libraries, itself and Dagster;
- ``orchestration/`` assembles: it may import everything.

Function-level imports are allowed only for the heavy third-party libraries in ``LAZY_ALLOWED`` (so loading the
Dagster definitions stays fast); every first-party import is at module level, so the import graph is the one a
reader sees at the top of each file, and it has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("wijkbeeld", "data_quality", "assets", "orchestration")
MAY_IMPORT = {
    "wijkbeeld": {"wijkbeeld"},
    "data_quality": {"wijkbeeld", "data_quality"},
    "assets": {"wijkbeeld", "data_quality", "assets"},
    "orchestration": set(PACKAGES),
}
DAGSTER = ("dagster", "dagster_dbt")
NO_DAGSTER = {"wijkbeeld", "data_quality"}
# Heavy third-party libraries that may be imported inside the function that needs them (seconds at import).
# fastexcel and pyarrow: the Excel reader of ingest (Rust, Arrow), imported when a workbook arrives.
# dagster_dbt: importing it loads dbt-core (~1.5 s), so the dbt step imports it when it runs (assets/dbt_specs.py)
LAZY_ALLOWED = {"great_expectations", "pandas", "numpy", "scipy", "openpyxl", "fastexcel", "pyarrow", "dagster_dbt"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) of every import in ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` blocks count as module level
        if isinstance(node, ast.If):
            top_level |= {id(child) for child in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = ".".join(path.relative_to(REPO).with_suffix("").parts[: -node.level])
                base = f"{package}.{base}".strip(".")
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
            found += [(name, node.lineno, id(node) in top_level) for name in names]
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module: str) -> None:
    path = MODULES[module]
    layer = _top(module)
    where = path.relative_to(REPO)
    for name, line, _ in _imports(path):
        top = _top(name)
        if top in PACKAGES:
            assert top in MAY_IMPORT[layer], f"{where}:{line}: {layer}/ must not import {top}/ ({name})"
        if layer in NO_DAGSTER:
            assert top not in DAGSTER, f"{where}:{line}: {layer}/ is a library and must not import {name}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_hides_in_a_function(module: str) -> None:
    path = MODULES[module]
    for name, line, top_level in _imports(path):
        if not top_level:
            assert _top(name) in LAZY_ALLOWED, (
                f"{path.relative_to(REPO)}:{line}: `import {name}` inside a function; import it at the top "
                f"(only {sorted(LAZY_ALLOWED)} may be imported late, to keep the definitions loading fast)"
            )


def test_the_first_party_import_graph_has_no_cycle() -> None:
    graph = {
        module: {name for name, _, _ in _imports(path) if name in MODULES and name != module}
        for module, path in MODULES.items()
    }
    done: set[str] = set()

    def visit(module: str, stack: list[str]) -> None:
        if module in stack:
            cycle = [*stack[stack.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(graph[module]):
            if target.startswith(module + "."):  # a package importing its own submodules (its __init__)
                continue
            visit(target, [*stack, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_rule_sees_every_package() -> None:
    """The rule is checked on files that exist (guards against a renamed folder silently passing)."""
    assert {_top(m) for m in MODULES} == set(PACKAGES)
    assert "wijkbeeld.ingest.run" in MODULES and "orchestration.definitions" in MODULES
