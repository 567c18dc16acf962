"""The resources of every run: the settings, the warehouse and the refresh lock.

The settings are read once per run (``wijkbeeld refresh`` hands over the ones it read itself) and every other
resource is built from that one object, so a run never mixes two readings of the environment.
(No ``from __future__ import annotations`` here: Dagster reads the resource fields' types at runtime.)
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from dagster import ConfigurableResource, InitResourceContext, ResourceDependency

from wijkbeeld.housekeeping import refresh_lock
from wijkbeeld.settings import Settings, load_settings
from wijkbeeld.warehouse import Warehouse

SETTINGS = "settings"
WAREHOUSE = "warehouse"
REFRESH_LOCK = "refresh_lock"

_handed_over: ContextVar[Settings | None] = ContextVar("wijkbeeld_settings", default=None)
_last_run: list[tuple[str, Settings]] = []  # the settings of the latest run started in this process


@contextmanager
def settings_for_runs(s: Settings) -> Iterator[None]:
    """Runs executed in-process within this block use ``s`` (read by their launcher) instead of reading again."""
    token = _handed_over.set(s)
    try:
        yield
    finally:
        _handed_over.reset(token)


def run_settings(run_id: str) -> Settings:
    """The settings of run ``run_id``: handed over by ``wijkbeeld refresh``, else read once when the run starts."""
    handed = _handed_over.get()
    if handed is not None:
        return handed
    if not _last_run or _last_run[0][0] != run_id:
        _last_run[:] = [(run_id, load_settings().ensure())]
    return _last_run[0][1]


class SettingsResource(ConfigurableResource):
    """The platform's settings (wijkbeeld/settings.py: the WIJKBEELD_* variables), read once when a run starts."""

    def create_resource(self, context: InitResourceContext) -> Settings:
        return run_settings(context.run_id)


class WarehouseResource(ConfigurableResource):
    """The one way assets open the warehouse or a release: memory cap, spill folder, one retry-on-lock policy."""

    settings: ResourceDependency[Settings]

    def create_resource(self, context: InitResourceContext) -> Warehouse:
        return Warehouse.from_settings(self.settings)


class RefreshLockResource(ConfigurableResource):
    """Holds the warehouse for the whole run (warehouse/refresh.lock): one refresh at a time. A second run waits
    WIJKBEELD_REFRESH_WAIT_SECONDS, then fails saying which refresh holds it."""

    settings: ResourceDependency[Settings]

    def create_resource(self, context: InitResourceContext) -> None:
        return None

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[None]:
        run = context.run.run_id if context.run else "?"
        with refresh_lock(self.settings, f"Dagster run {run}"):
            yield None


def resources() -> dict[str, ConfigurableResource]:
    settings = SettingsResource()
    return {
        SETTINGS: settings,
        WAREHOUSE: WarehouseResource(settings=settings),
        REFRESH_LOCK: RefreshLockResource(settings=settings),
    }
