"""Dagster asset factory for partner datasets: one ingest asset per contract, with its non-blocking checks.

The per-source modules (:mod:`assets.cbs`, :mod:`assets.politie`, :mod:`assets.gemeente`) call these
factories; :mod:`assets.ingest_defs` collects the results. The engine is the library's
(:func:`wijkbeeld.ingest.ingest_dataset`); at import only the contract YAML is read, for the description and the
upstream datasets. (No ``from __future__ import annotations`` here: Dagster inspects the type hints at runtime.)
"""

from collections.abc import Sequence
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
)

from wijkbeeld.ingest import Contract, IngestReport, ingest_dataset, load_contract
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

CHECK_NAME = "no_quarantined_files"
UNMAPPED_CHECK_NAME = "all_rows_mapped"
FRESHNESS_CHECK_NAME = "delivered_on_time"


def ingest_asset_key(partner: str, dataset: str) -> AssetKey:
    """Asset key of a raw table: ``raw_<partner>__<dataset>`` (same name as the warehouse table)."""
    return AssetKey([f"raw_{partner}__{dataset}"])


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


LISTED_FILES = 100  # files named one by one in the metadata of a run (the counts cover them all)


def report_metadata(report: IngestReport) -> dict[str, Any]:
    """Materialization metadata of one ingest run (the checks of :func:`check_results` read it)."""
    listed = report.files_quarantined[:LISTED_FILES]
    rows = "\n".join(f"| {_md_escape(q.file)} | {_md_escape(q.reason)} |" for q in listed)
    more = len(report.files_quarantined) - len(listed)
    rows += f"\n| ... | and {more} more (see meta.quarantaine) |" if more > 0 else ""
    table = f"| file | reason |\n| --- | --- |\n{rows}" if rows else "No file was quarantined."
    skipped = [{"name": name, "reason": why} for name, why in report.files_skipped[:LISTED_FILES]]
    return {
        "files_ingested": len(report.files_ingested),
        "files_already_ingested": len(report.files_already_ingested),
        "files_waiting": len(report.files_waiting),
        "waiting_for": ", ".join(report.waiting_for) or "-",
        "rows_accepted": report.rows_accepted,
        "rows_rejected": report.rows_rejected,
        "rows_unmapped": report.rows_unmapped,
        "files_quarantined": len(report.files_quarantined),
        "quarantined_files": MetadataValue.md(table),
        "quarantine": MetadataValue.json([{"file": q.file, "reason": q.reason, "path": q.path} for q in listed]),
        "files_skipped": len(report.files_skipped),
        "skipped": MetadataValue.json(skipped),
        "last_delivery": report.last_delivery or "none yet",
        "unmapped_by_period": MetadataValue.json(report.unmapped_by_period),
        **_freshness_metadata(report),
    }


def _freshness_metadata(report: IngestReport) -> dict[str, Any]:
    fresh = report.freshness
    if fresh is None:
        return {}
    return {
        "freshness": fresh.text(),
        "overdue": fresh.overdue,
        "covered_until": f"{fresh.covered_until:%Y-%m-%d}" if fresh.covered_until else "-",
        "next_period_due": f"{fresh.due:%Y-%m-%d}" if fresh.due else "-",
        "expected_cadence": fresh.cadence,
    }


def build_ingest_asset(partner: str, dataset: str, deps: Sequence[str | AssetKey] = ()) -> AssetsDefinition:
    """Ingest asset of ``partner/dataset``, with its non-blocking checks (:func:`check_specs`) evaluated in the
    same step from the run's own report (a step per check cost every night ~1 s of Dagster bookkeeping).

    Upstream assets come from the contract (datasets its checks and mapping read, e.g. the CBS
    geography); ``deps`` adds more.
    """
    contract = load_contract(partner, dataset)
    upstream = [ingest_asset_key(*ref.split("/")) for ref in contract.requires()]
    upstream += [AssetKey.from_coercible(d) for d in deps]

    key = ingest_asset_key(partner, dataset)
    specs = check_specs(contract)

    @asset(
        key=key,
        check_specs=specs,
        group_name="ingest",
        description=contract.description,
        kinds={"duckdb"},
        deps=upstream,
        metadata={
            "contract": f"assets/contracts/{partner}__{dataset}.yaml",
            "landing_folder": f"landing/{partner}/{dataset}/",
            "file_name_example": contract.file.name_example,
        },
    )
    def _ingest(
        context: AssetExecutionContext,
        settings: ResourceParam[Settings],
        warehouse: ResourceParam[Warehouse],
        refresh_lock: ResourceParam[None],  # one refresh at a time holds the warehouse
    ) -> MaterializeResult:
        report = ingest_dataset(partner, dataset, settings, warehouse, log=context.log)
        metadata = report_metadata(report)
        return MaterializeResult(metadata=metadata, check_results=check_results(partner, dataset, specs, metadata))

    return _ingest


def check_specs(contract: Contract) -> list[AssetCheckSpec]:
    """The non-blocking checks of one ingest asset: quarantine, mapping (for mapped datasets) and freshness (with a
    cadence)."""
    partner, dataset = contract.partner, contract.dataset
    key = ingest_asset_key(partner, dataset)
    specs = [
        AssetCheckSpec(
            CHECK_NAME,
            asset=key,
            blocking=False,
            description=f"Warns when the latest ingest of {partner}/{dataset} moved files to quarantine or skipped "
            "entries of its landing folder (folders, symbolic links to folders).",
        )
    ]
    if contract.address_mapping or contract.area_mapping or contract.reference_geography:
        specs.append(
            AssetCheckSpec(
                UNMAPPED_CHECK_NAME,
                asset=key,
                blocking=False,
                description=f"Warns when rows of {partner}/{dataset} are not mapped to an area of the reference "
                "geography (unknown address, or an area code of an older geography), per period.",
            )
        )
    if contract.cadence is not None:
        cadence = contract.cadence
        specs.append(
            AssetCheckSpec(
                FRESHNESS_CHECK_NAME,
                asset=key,
                blocking=False,
                description=f"Warns when {partner}/{dataset} is overdue: expected every {cadence.period} with "
                f"{cadence.grace_days} days of grace after a period ends.",
            )
        )
    return specs


def check_results(
    partner: str, dataset: str, specs: Sequence[AssetCheckSpec], metadata: dict[str, Any]
) -> list[AssetCheckResult]:
    """The results of ``specs`` for one ingest run, from its materialization metadata."""
    meta = {k: v.value if isinstance(v, MetadataValue) else v for k, v in metadata.items()}
    judge = {
        CHECK_NAME: lambda: _quarantine_result(partner, dataset, meta),
        UNMAPPED_CHECK_NAME: lambda: _unmapped_result(meta),
        FRESHNESS_CHECK_NAME: lambda: _freshness_result(meta),
    }
    return [judge[spec.name]() for spec in specs]


def _quarantine_result(partner: str, dataset: str, meta: dict[str, Any]) -> AssetCheckResult:
    quarantined = list(meta.get("quarantine") or [])
    count = meta.get("files_quarantined", len(quarantined))
    skipped = list(meta.get("skipped") or [])
    if not quarantined and not skipped:
        return AssetCheckResult(
            check_name=CHECK_NAME, passed=True, description="No file quarantined in the latest run."
        )
    listing = "\n".join(f"- {q['file']}: {q['reason']}" for q in quarantined)
    listing += f"\n- ... and {count - len(quarantined)} more" if count > len(quarantined) else ""
    skipped_listing = "\n".join(f"- {e['name']}: {e['reason']}" for e in skipped)
    text = f"{count} file(s) quarantined in the latest run:\n{listing}" if count else ""
    text += f"\n{len(skipped)} landing entries skipped (left in place):\n{skipped_listing}" if skipped else ""
    return AssetCheckResult(
        check_name=CHECK_NAME,
        passed=False,
        severity=AssetCheckSeverity.WARN,
        description=text.strip(),
        metadata={
            "files_quarantined": count,
            "quarantined_files": MetadataValue.md(listing or "none"),
            "skipped": MetadataValue.md(skipped_listing or "none"),
            "where": f"quarantine/{partner}/{dataset}/ (see <file>.reason.json)",
        },
    )


def _unmapped_result(meta: dict[str, Any]) -> AssetCheckResult:
    per_period = dict(meta.get("unmapped_by_period") or {})
    if not per_period:
        return AssetCheckResult(
            check_name=UNMAPPED_CHECK_NAME, passed=True, description="Every loaded row is mapped to an area."
        )
    total = sum(per_period.values())
    listing = "\n".join(f"- {period}: {n} row(s)" for period, n in sorted(per_period.items()))
    return AssetCheckResult(
        check_name=UNMAPPED_CHECK_NAME,
        passed=False,
        severity=AssetCheckSeverity.WARN,
        description=f"{total} row(s) not mapped to an area of the reference geography:\n{listing}",
        metadata={"rows_unmapped": total, "unmapped_by_period": MetadataValue.json(per_period)},
    )


def _freshness_result(meta: dict[str, Any]) -> AssetCheckResult:
    if "overdue" not in meta:
        return AssetCheckResult(check_name=FRESHNESS_CHECK_NAME, passed=True, description="Not ingested yet.")
    text = str(meta["freshness"])
    details = {k: meta[k] for k in ("covered_until", "next_period_due", "expected_cadence") if k in meta}
    if meta["overdue"]:
        return AssetCheckResult(
            check_name=FRESHNESS_CHECK_NAME,
            passed=False,
            severity=AssetCheckSeverity.WARN,
            description=text,
            metadata=details,
        )
    return AssetCheckResult(check_name=FRESHNESS_CHECK_NAME, passed=True, description=text, metadata=details)
