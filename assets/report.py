"""The wijkprofiel report asset: static HTML pages rebuilt from the published release after each publish.

It reads only the published release (never the warehouse), so what the report shows is exactly what BI
users see.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, ResourceParam, asset

from assets.publication import PUBLISH_KEY
from wijkbeeld.report import build_report
from wijkbeeld.settings import Settings
from wijkbeeld.warehouse import Warehouse

REPORT_KEY = AssetKey(["wijkprofiel_rapport"])


@asset(
    key=REPORT_KEY,
    group_name="publicatie",
    deps=[PUBLISH_KEY],
    kinds={"html"},
    description=(
        "Wijkprofiel report: reports/wijkprofiel/index.html (map, ranking, signals) and one page per wijk, "
        "built from the current published release. Self-contained HTML with inline SVG charts."
    ),
)
def wijkprofiel_rapport(
    context: AssetExecutionContext, settings: ResourceParam[Settings], warehouse: ResourceParam[Warehouse]
) -> MaterializeResult:
    result = build_report(settings, warehouse)
    context.log.info(f"Wijkprofiel report for release {result.release_id}: {result.path}")
    return MaterializeResult(
        metadata={
            "release_id": result.release_id,
            "period": f"{result.periode[0]} ({result.periode[1]})",
            "wijk_pages": result.wijk_pages,
            "wijken_on_map": result.on_map,
            "report": MetadataValue.path(str(result.path)),
        }
    )
