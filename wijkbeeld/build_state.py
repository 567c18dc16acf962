"""What the last successful dbt build saw, so a night rebuilds only what changed (docs/operations.md).

The warehouse keeps one row in ``meta.dbt_bouw``: the highest ``levering_id`` the build read and a
fingerprint of everything else the mart depends on (the dbt project's models, macros and seeds, the Python
code its models call, and the settings that reach dbt). The next build is

- *incremental* when the fingerprint is the same: dbt gets ``levering_sinds`` and its incremental models
  recompute only the months and periods that newer deliveries touch (dbt_project/macros/incrementeel.sql);
- *full* (``--full-refresh``) when there is no earlier build or anything but the data changed;
- *not needed* when neither the data nor the fingerprint changed: the night has nothing to do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

STATE_TABLE = "meta.dbt_bouw"
# Inputs of the mart besides the delivered data: the dbt project, the Python its models call
# (int_indicator_secundair: disclosure control) and the dbt vars that change the data (not the paths).
_PROJECT_GLOBS = ("dbt_project.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*")
MODEL_CODE = (Path(__file__).with_name("disclosure.py"),)
DATA_VARS = ("regiocode", "regionaam", "alle_gemeenten", "referentiejaar")


@dataclass(frozen=True)
class BuildPlan:
    """How this night builds the mart, and why."""

    mode: str  # "full", "incremental" or "none"
    levering_sinds: int | None  # the highest levering_id of the last build (incremental)
    levering_tot: int  # the highest levering_id in the warehouse now
    fingerprint: str
    reason: str
    built_periods: tuple[str, ...] = ()  # 'periode|periode_type' of the last build (incremental)

    def dbt_flags(self) -> list[str]:
        """Flags for ``dbt build`` (besides ``--vars``)."""
        if self.mode == "full":
            return ["--full-refresh"]
        # The project did not change: seeds hold what they held, and unit tests test code, not data.
        return ["--exclude", "resource_type:seed resource_type:unit_test"]

    def dbt_vars(self) -> dict[str, object]:
        """The dbt vars of an incremental night (dbt_project/macros/incrementeel.sql); none for a full build."""
        if self.mode == "full":
            return {}
        return {"levering_sinds": self.levering_sinds, "gebouwde_perioden": list(self.built_periods)}


def fingerprint(dbt_project: Path, code: Iterable[Path], settings: Mapping[str, object]) -> str:
    """A hash of the dbt project, the given code files and the settings that reach dbt."""
    digest = hashlib.sha256()
    files = sorted({p for pattern in _PROJECT_GLOBS for p in dbt_project.glob(pattern) if p.is_file()})
    named = [(p.relative_to(dbt_project).as_posix(), p) for p in files] + [(p.name, p) for p in sorted(code)]
    for name, path in named:  # names relative to the project: a clone elsewhere has the same fingerprint
        digest.update(name.encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(dict(settings), sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def plan(con: object, fingerprint_now: str) -> BuildPlan:
    """The build this night needs, from the warehouse's deliveries and the last build's record."""
    (levering_tot,) = con.execute("SELECT coalesce(max(levering_id), 0) FROM meta.leveringen").fetchone()  # type: ignore[attr-defined]
    previous = _previous(con)
    if previous is None:
        return BuildPlan("full", None, levering_tot, fingerprint_now, "no earlier build in this warehouse")
    levering_sinds, fingerprint_then, built = previous
    if fingerprint_then != fingerprint_now:
        return BuildPlan(
            "full", None, levering_tot, fingerprint_now, "the dbt project, its code or its settings changed"
        )
    if levering_tot == levering_sinds:
        return BuildPlan("none", levering_sinds, levering_tot, fingerprint_now, "no new delivery since the last build")
    return BuildPlan(
        "incremental",
        levering_sinds,
        levering_tot,
        fingerprint_now,
        f"deliveries {levering_sinds + 1}-{levering_tot} are new",
        built,
    )


def record(con: object, done: BuildPlan) -> None:
    """Remember a successful build: the next night compares with it."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")  # type: ignore[attr-defined]
    periods = [
        f"{periode}|{periode_type}"
        for periode, periode_type in con.execute(  # type: ignore[attr-defined]
            "SELECT periode, periode_type FROM intermediate.int_perioden ORDER BY ALL"
        ).fetchall()
    ]
    con.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")  # type: ignore[attr-defined]
    con.execute(  # type: ignore[attr-defined]
        f"CREATE TABLE {STATE_TABLE} "
        "(levering_tot BIGINT, vingerafdruk VARCHAR, modus VARCHAR, perioden VARCHAR[], gebouwd_op TIMESTAMP)"
    )
    con.execute(  # type: ignore[attr-defined]
        f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?, ?, ?)",
        [done.levering_tot, done.fingerprint, done.mode, periods, datetime.now(UTC).replace(tzinfo=None)],
    )


def forget(con: object) -> None:
    """Forget the last build (the next one is full): e.g. after the warehouse was repaired by hand."""
    con.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")  # type: ignore[attr-defined]


def _previous(con: object) -> tuple[int, str, tuple[str, ...]] | None:
    columns = {
        name
        for (name,) in con.execute(  # type: ignore[attr-defined]
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'meta' AND table_name = 'dbt_bouw'"
        ).fetchall()
    }
    if "perioden" not in columns:  # no earlier build (or one of an older platform version): build all
        return None
    row = con.execute(f"SELECT levering_tot, vingerafdruk, perioden FROM {STATE_TABLE}").fetchone()  # type: ignore[attr-defined]
    return (int(row[0]), str(row[1]), tuple(row[2] or ())) if row else None


# The incremental models and what they are keyed by (dbt_project/macros/incrementeel.sql).
INCREMENTAL_MODELS = {
    "int_gebeurtenissen_maand": "maand",
    "int_dekking_maand": "maand",
    "int_indicator_teller": "periode",
    "int_indicator_primair": "periode",
    "int_indicator_secundair": "periode",
    "int_indicator_beveiligd": "periode",
}


def rebuilt(con: object) -> dict[str, dict[str, int]]:
    """Per incremental model: the months or periods this build recomputed and the rows it wrote for them."""
    months = con.execute("SELECT count(*) FROM intermediate.int_maanden_gewijzigd").fetchone()[0]  # type: ignore[attr-defined]
    periods = con.execute("SELECT count(*) FROM intermediate.int_perioden_gewijzigd").fetchone()[0]  # type: ignore[attr-defined]
    out = {}
    for model, key in INCREMENTAL_MODELS.items():
        if key == "maand":
            changed = "intermediate.int_maanden_gewijzigd AS g WHERE g.bron = t.bron AND g.maand = t.maand"
            unit, units = "maanden_herberekend", months
        else:
            changed = (
                "intermediate.int_perioden_gewijzigd AS g "
                "WHERE g.periode = t.periode AND g.periode_type = t.periode_type"
            )
            unit, units = "perioden_herberekend", periods
        rows = con.execute(  # type: ignore[attr-defined]
            f"SELECT count(*) FROM intermediate.{model} AS t WHERE EXISTS (SELECT 1 FROM {changed})"
        ).fetchone()[0]
        out[model] = {unit: units, "rijen": rows}
    return out
