"""The dbt project as Dagster assets, read from the prepared manifest without importing dbt or dagster-dbt.

dagster-dbt's ``@dbt_assets`` builds the same assets, but importing it loads dbt-core: about 1.5 s of the
definitions' load time, which the UI, the daemon and every run pay. Here the specs come from
``dbt_project/target/manifest.json`` as plain JSON (prepared at install time, ``scripts/prepare_dbt.py``):

- one asset per model and seed: the key is the node's name, so a value keeps one name from landing to mart;
  a source is the ingest asset of its raw table (``raw_<partner>__<dataset>``);
- one asset check per dbt test, on the node it tests (a test of several models names its node in
  ``meta: {dagster: {ref: {name: ...}}}``); tests with severity error are blocking.

dagster-dbt is imported only when the step runs (:func:`run`): it invokes dbt and turns dbt's events into
the materializations and check results of these specs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    MaterializeResult,
    TableColumn,
    TableSchema,
)

ASSET_TYPES = ("model", "seed", "snapshot")
# dbt folder (first level under models/) -> Dagster group, so the graph reads as the data flow.
_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "mart"}


def load_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def node_key(props: Mapping[str, Any]) -> AssetKey:
    """Flat, readable asset keys: the table name that the value carries from landing to mart."""
    if props["resource_type"] == "source":
        return AssetKey([props.get("identifier") or props["name"]])
    return AssetKey([props["name"]])


def node_group(props: Mapping[str, Any]) -> str:
    if props["resource_type"] == "seed":
        return "catalogus"
    fqn = props.get("fqn", [])
    return _GROUPS.get(fqn[1] if len(fqn) > 2 else "", "transform")


def _props(manifest: Mapping[str, Any], unique_id: str) -> Mapping[str, Any]:
    return manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]


def _is_asset(props: Mapping[str, Any]) -> bool:
    return props["resource_type"] in ASSET_TYPES and props.get("config", {}).get("materialized") != "ephemeral"


def _metadata(props: Mapping[str, Any]) -> dict[str, Any]:
    columns = props.get("columns") or {}
    metadata: dict[str, Any] = {
        "unique_id": props["unique_id"],
        "dagster/relation_identifier": ".".join(
            part for part in (props.get("database"), props.get("schema"), props.get("alias")) if part
        ),
    }
    materialized = props.get("config", {}).get("materialized")
    if materialized:
        metadata["materialisatie"] = materialized
    if columns:
        metadata["dagster/column_schema"] = TableSchema(
            columns=[
                TableColumn(name=name, type=info.get("data_type") or "?", description=info.get("description"))
                for name, info in columns.items()
            ]
        )
    return metadata


def tested_node(manifest: Mapping[str, Any], test: Mapping[str, Any]) -> str | None:
    """The unique id of the node a dbt test checks (its attached node, its only parent, or its meta ref)."""
    ref = ((test.get("config") or {}).get("meta") or test.get("meta") or {}).get("dagster", {}).get("ref", {})
    if ref.get("name"):
        matches = [uid for uid, n in manifest["nodes"].items() if n["name"] == ref["name"] and _is_asset(n)]
        return matches[0] if len(matches) == 1 else None
    parents = test.get("depends_on", {}).get("nodes", [])
    if test.get("attached_node"):
        return test["attached_node"]
    return parents[0] if len(parents) == 1 else None


def build(manifest: Mapping[str, Any]) -> tuple[list[AssetSpec], list[AssetCheckSpec], dict[AssetKey, str]]:
    """The asset specs, the check specs and the dbt unique id behind each asset key."""
    specs: list[AssetSpec] = []
    unique_ids: dict[AssetKey, str] = {}
    for unique_id, props in manifest["nodes"].items():
        if not _is_asset(props):
            continue
        key = node_key(props)
        unique_ids[key] = unique_id
        deps = [
            AssetDep(node_key(_props(manifest, parent)))
            for parent in props.get("depends_on", {}).get("nodes", [])
            if parent.startswith("source.") or _is_asset(_props(manifest, parent))
        ]
        specs.append(
            AssetSpec(
                key=key,
                deps=deps,
                description=props.get("description") or None,
                group_name=node_group(props),
                metadata=_metadata(props),
                kinds={"dbt", "duckdb"},
                code_version=(props.get("checksum") or {}).get("checksum"),
                tags={tag: "" for tag in props.get("tags", [])},
                skippable=True,
            )
        )
    checks: list[AssetCheckSpec] = []
    for unique_id, test in manifest["nodes"].items():
        if test["resource_type"] != "test":
            continue
        target = tested_node(manifest, test)
        if target is None or target not in manifest["nodes"] or not _is_asset(manifest["nodes"][target]):
            continue
        key = node_key(manifest["nodes"][target])
        others = {
            node_key(_props(manifest, parent))
            for parent in test.get("depends_on", {}).get("nodes", [])
            if parent != target and (parent.startswith("source.") or _is_asset(_props(manifest, parent)))
        }
        severity = ((test.get("config") or {}).get("severity") or "error").lower()
        checks.append(
            AssetCheckSpec(
                name=test["name"],
                asset=key,
                description=(test.get("meta") or {}).get("description"),
                additional_deps=sorted(others, key=lambda k: k.to_user_string()),
                metadata={"unique_id": unique_id},
                blocking=severity == "error",
            )
        )
    return specs, checks, unique_ids


def run(
    args: list[str], *, project_dir: Path, manifest_path: Path, dbt_executable: Path
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Run ``dbt <args>`` and yield what it built as materializations and check results of these specs.

    Raises dagster-dbt's error when dbt fails (a failed test included), after yielding what did build."""
    from dagster_dbt import DagsterDbtTranslator, DbtCliResource

    class Keys(DagsterDbtTranslator):
        def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
            return node_key(dbt_resource_props)

    manifest = load_manifest(manifest_path)
    dbt = DbtCliResource(
        project_dir=str(project_dir), profiles_dir=str(project_dir), dbt_executable=str(dbt_executable)
    )
    for event in dbt.cli(args, manifest=manifest, dagster_dbt_translator=Keys()).stream():
        if isinstance(event, AssetMaterialization):
            yield MaterializeResult(asset_key=event.asset_key, metadata=dict(event.metadata))
        elif isinstance(event, AssetCheckEvaluation | AssetCheckResult):
            yield AssetCheckResult(
                asset_key=event.asset_key,
                check_name=event.check_name,
                passed=event.passed,
                severity=event.severity or AssetCheckSeverity.ERROR,
                metadata=dict(event.metadata),
            )
