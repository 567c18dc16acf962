"""Resources shared by the assets."""

from __future__ import annotations

from collections.abc import Iterator

from dagster import InitResourceContext, ResourceDefinition, resource

REFRESH_LOCK = "refresh_lock"


@resource(
    description="Holds the warehouse for the whole run (warehouse/refresh.lock): one refresh at a time. A second "
    "run waits WIJKBEELD_REFRESH_WAIT_SECONDS, then fails saying which refresh holds it."
)
def refresh_lock_resource(context: InitResourceContext) -> Iterator[None]:
    from wijkbeeld.config import settings
    from wijkbeeld.refresh import refresh_lock

    run = context.run.run_id if context.run else "?"
    with refresh_lock(settings().ensure(), f"Dagster run {run}"):
        yield None


def resources() -> dict[str, ResourceDefinition | object]:
    return {REFRESH_LOCK: refresh_lock_resource}
