"""The one way the platform opens a DuckDB database: the warehouse, a published release, or a scratch database.

Every connection gets the same DuckDB memory cap (``WIJKBEELD_DUCKDB_MEMORY_LIMIT``) and spills to the same folder
(``warehouse/spill/``), and opening a file that another process holds is retried with one policy: while DuckDB
says the file is locked, try again every half second for up to ``lock_wait_seconds``, then raise
:class:`WarehouseBusy`. Ingest, dbt (its profile gets the same path, cap and spill folder), the quality gate,
publish, the report and the disclosure audit all go through a :class:`Warehouse`; in Dagster it is the
``warehouse`` resource (orchestration/resources.py), built once per run from the settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb
from pydantic import BaseModel, ConfigDict

from wijkbeeld.settings import Settings

LOCK_RETRY_SECONDS = 0.5
T = TypeVar("T")


class WarehouseBusy(RuntimeError):
    """Another process held the DuckDB file for longer than the lock policy waits."""


class Warehouse(BaseModel):
    """Where the warehouse is and how every DuckDB connection of the platform is set up."""

    model_config = ConfigDict(frozen=True)

    path: Path  # the warehouse DuckDB file
    spill_dir: Path  # DuckDB's temp_directory: what does not fit in memory_limit
    memory_limit: str = "2GB"
    lock_wait_seconds: float = 10.0

    @classmethod
    def from_settings(cls, s: Settings) -> Warehouse:
        return cls(path=s.warehouse_file, spill_dir=s.spill_dir, memory_limit=s.duckdb_memory_limit)

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the warehouse (read-write creates it); closed on exit, so dbt and publish
        can open the file next."""
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.open(self.path, read_only=read_only) as con:
            yield con

    @contextmanager
    def open(
        self, path: Path, *, read_only: bool = True, spill_dir: Path | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to any DuckDB file of the platform, e.g. a published release (read-only by default)."""
        if read_only and not Path(path).exists():
            raise FileNotFoundError(f"DuckDB file {path} does not exist")
        con = self._retrying(lambda: duckdb.connect(str(path), read_only=read_only))
        try:
            self.configure(con, spill_dir)
            yield con
        finally:
            con.close()

    def scratch(self, *, spill_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
        """An in-memory database with the same cap, for work that ATTACHes files itself (publish, validate). The
        caller closes it (``with warehouse.scratch() as con:``)."""
        con = duckdb.connect()
        try:
            self.configure(con, spill_dir)
        except BaseException:
            con.close()
            raise
        return con

    def attach(self, con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
        """Attach a DuckDB file read-only to ``con``, with the same lock policy as :meth:`open`."""
        sql_path = str(path).replace("'", "''")
        self._retrying(lambda: con.execute(f"ATTACH '{sql_path}' AS {alias} (READ_ONLY)"))

    def configure(self, con: duckdb.DuckDBPyConnection, spill_dir: Path | None = None) -> None:
        """The memory cap and spill folder (``spill_dir`` instead, e.g. for the partner-side check, which writes
        nothing in the data home); no progress bar in logs."""
        folder = str(spill_dir or self.spill_dir).replace("'", "''")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{self.memory_limit}'")
        con.execute(f"SET temp_directory = '{folder}'")

    def _retrying(self, attempt: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.lock_wait_seconds
        while True:
            try:
                return attempt()
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"{str(exc).splitlines()[0]} (waited {self.lock_wait_seconds:g} s for another process)"
                    ) from exc
                time.sleep(LOCK_RETRY_SECONDS)
