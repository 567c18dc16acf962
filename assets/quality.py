"""Dagster asset checks of the quality gate: one blocking check per mart table.

A check validates its table (data_quality.gate) and refreshes that table's part of the quality report. It
is blocking with ERROR severity, so a failure skips every downstream asset (the publish step) and the
current release stays untouched; its result is what ``publicatie`` records as the gate's verdict. Importing
this module stays cheap: Great Expectations is only imported when a check runs.
(No ``from __future__ import annotations`` here: Dagster inspects the type hints at runtime.)
"""

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    ResourceParam,
    asset_check,
)

from data_quality.gate import TableResult, load_specs, run_gate
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

CHECK_NAME = "quality_gate"


def build_quality_checks(tables: list[str]) -> list[AssetChecksDefinition]:
    """One blocking ``quality_gate`` check per table, on the asset key ``AssetKey([table])``."""
    specs = load_specs()
    unknown = [t for t in tables if t not in specs]
    if unknown:
        raise ValueError(f"no expectations in data_quality/expectations.yaml for {unknown}")
    return [_quality_check(table, len(specs[table].checks)) for table in tables]


def _quality_check(table: str, expectation_count: int) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey([table]),
        name=CHECK_NAME,
        blocking=True,
        description=(
            f"Great Expectations quality gate of mart.{table} ({expectation_count} expectations plus "
            "presence and row count, see data_quality/expectations.yaml). A failure blocks publication."
        ),
    )
    def _check(settings: ResourceParam[Settings], warehouse: ResourceParam[Warehouse]) -> AssetCheckResult:
        gate = run_gate(settings, warehouse, [table])
        (result,) = gate.tables
        metadata = _metadata(result)
        if gate.report is not None:
            metadata["quality_report"] = MetadataValue.path(str(gate.report))
            metadata["quality_report_url"] = MetadataValue.url(gate.report.as_uri())
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=_summary(result),
        )

    return _check


def _summary(result: TableResult) -> str:
    if result.success:
        return f"All {len(result.expectations)} expectations of {result.table} passed."
    names = ", ".join(e.name for e in result.failed)
    return f"{len(result.failed)} of {len(result.expectations)} expectations of {result.table} failed: {names}"


def _metadata(result: TableResult) -> dict[str, MetadataValue]:
    lines = [
        f"- **{e.name}**: {e.description} (observed {e.observed_value}"
        + (f"; {e.failing_rows} failing rows, e.g. {e.sample[0]})" if e.sample else ")")
        for e in result.failed
    ]
    metadata = {
        "failed_expectations": MetadataValue.md("\n".join(lines) or "none"),
        "expectations_evaluated": MetadataValue.int(len(result.expectations)),
        "expectations_failed": MetadataValue.int(len(result.failed)),
        "failing_rows": MetadataValue.int(sum(e.failing_rows or 0 for e in result.failed)),
        "row_count": MetadataValue.int(result.row_count or 0),
    }
    if result.previous_row_count is not None:
        metadata["previous_release_row_count"] = MetadataValue.int(result.previous_row_count)
    if result.docs_page is not None:
        metadata["data_docs"] = MetadataValue.path(str(result.docs_page))
    return metadata
