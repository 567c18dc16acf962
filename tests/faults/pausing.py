"""Fault injection for the fault tests, from outside the product code: run a command that pauses at one point.

    python -m tests.faults.pausing <point> refresh                     `wijkbeeld refresh` (orchestration/cli.py)
    python -m tests.faults.pausing <point> publish [WAREHOUSE TABLE]   publish one mart table directly (default:
                                                                       dim_gebied of the data home's warehouse)

Before the command runs, the step at ``point`` is wrapped so that the process prints ``paused at <point>`` on
stderr and sleeps there; the test then kills the whole process group. The product code has no hook for this: the
points are the functions the steps already call through their modules, wrapped here.

- ``ingest``: right after a batch's transaction committed, before its files are archived (tables.load_batch)
- ``dbt``: once dbt has sent its first event (assets.transform.dbt_build)
- ``publish``: a release is fully built in its temp folder, not yet sealed and renamed (publish._seal)
- ``swap``: ``publish/current`` is switched, the stable file not yet (publish._replace_stable)
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assets import transform
from orchestration.cli import main as cli
from wijkbeeld import publish
from wijkbeeld.ingest import tables
from wijkbeeld.publish import publish_release
from wijkbeeld.settings import load_settings
from wijkbeeld.warehouse import Warehouse

PAUSE_SECONDS = 600


def pause(point: str) -> None:
    print(f"paused at {point}", file=sys.stderr, flush=True)
    time.sleep(PAUSE_SECONDS)


def _after(point: str, step: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(step)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = step(*args, **kwargs)
        pause(point)
        return result

    return wrapped


def _before(point: str, step: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(step)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        pause(point)
        return step(*args, **kwargs)

    return wrapped


def _after_first_event(point: str, step: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    @functools.wraps(step)
    def wrapped(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for i, event in enumerate(step(*args, **kwargs)):
            yield event
            if i == 0:
                pause(point)

    return wrapped


def install(point: str) -> None:
    """Wrap the step at ``point`` (see the module docstring)."""
    if point == "ingest":
        tables.load_batch = _after(point, tables.load_batch)
    elif point == "dbt":
        transform.dbt_build = _after_first_event(point, transform.dbt_build)
    elif point == "publish":
        publish._seal = _before(point, publish._seal)
    elif point == "swap":
        publish._replace_stable = _before(point, publish._replace_stable)
    else:
        raise SystemExit(f"unknown pause point {point!r}")


def publish_table(warehouse: str | None = None, table: str = "dim_gebied") -> int:
    """Publish one mart table of a (tiny) warehouse as a release into the data home."""
    s = load_settings()
    source = Warehouse.from_settings(s)
    publish_release(
        warehouse=source.model_copy(update={"path": Path(warehouse)}) if warehouse else source,
        tables=[table],
        gate={},
        geografie_jaar=2024,
        perioden=["2024"],
        code_versie="t",
        settings=s,
    )
    return 0


def main(argv: list[str]) -> int:
    point, command, *rest = argv
    install(point)
    if command == "publish":
        return publish_table(*rest)
    return cli([command, *rest])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
