"""What a release holds besides its DuckDB tables: Parquet files that describe themselves, the area shapes for maps
and a workbook for users without a BI tool. Called by :mod:`wijkbeeld.publish` while the release file is attached
as ``rel``; everything is read from that file, so the extra files always match its tables.

- ``parquet/<table>.parquet``: key-value metadata ``release_id``, ``tabel``, ``omschrijving`` (the table's Dutch
  description) and ``kolommen`` (JSON: column -> description). Parquet has no per-column description field, so the
  column descriptions travel as one JSON value.
- ``gebieden.geojson`` (every area with a shape, property ``niveau``), ``wijken.topo.json`` and
  ``gemeenten.topo.json`` (TopoJSON for Power BI's Shape Map), from ``dim_gebied.geometrie_wkt``.
- ``wijkbeeld.xlsx``: one sheet per area level (wijken: ``wijkprofiel``; gemeenten and regio: the same wide layout
  from ``fct_indicator_waarde``), the indicator definitions, the statuses, and every column's description.

A table that a release lacks (tests publish small marts) just leaves out what needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from wijkbeeld import geo
from wijkbeeld.workbook import write_workbook

GEOJSON = "gebieden.geojson"
TOPOJSON = {"wijk": "wijken", "gemeente": "gemeenten"}  # niveau -> <name>.topo.json, object <name>
WORKBOOK = "wijkbeeld.xlsx"
SHAPE_COLUMN = "geometrie_wkt"
SHAPE_PROPERTIES = ["gebiedcode", "gebiedsnaam", "niveau", "gemeentecode", "gemeentenaam"]


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    not_null: bool
    comment: str | None


@dataclass(frozen=True)
class TableSchema:
    """A mart table as the DuckDB catalog describes it: columns, description and keys."""

    name: str
    comment: str | None
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    unique: list[list[str]] = field(default_factory=list)
    foreign_keys: list[tuple[list[str], str, list[str]]] = field(default_factory=list)

    def constraint_sql(self, published: list[str]) -> list[str]:
        """Key clauses of CREATE TABLE; foreign keys only to tables in ``published``."""
        clauses = [f"PRIMARY KEY ({_names(self.primary_key)})"] if self.primary_key else []
        clauses += [f"UNIQUE ({_names(cols)})" for cols in self.unique]
        clauses += [
            f'FOREIGN KEY ({_names(cols)}) REFERENCES {{catalog}}.mart."{table}" ({_names(ref)})'
            for cols, table, ref in self.foreign_keys
            if table in published
        ]
        return clauses

    def create_sql(self, catalog: str, published: list[str]) -> str:
        columns = [f'"{c.name}" {c.data_type}{" NOT NULL" if c.not_null else ""}' for c in self.columns]
        clauses = [c.replace("{catalog}", catalog) for c in self.constraint_sql(published)]
        return f'CREATE TABLE {catalog}.mart."{self.name}" ({", ".join(columns + clauses)})'

    def comment_sql(self, catalog: str) -> list[str]:
        target = f'{catalog}.mart."{self.name}"'
        sql = [f"COMMENT ON TABLE {target} IS {_literal(self.comment)}"] if self.comment else []
        sql += [f'COMMENT ON COLUMN {target}."{c.name}" IS {_literal(c.comment)}' for c in self.columns if c.comment]
        return sql

    def descriptions(self) -> dict[str, str]:
        return {c.name: c.comment for c in self.columns if c.comment}


def read_schema(con: duckdb.DuckDBPyConnection, catalog: str, tables: list[str]) -> dict[str, TableSchema]:
    """The catalog's description of ``catalog.mart.<table>`` for each table (descriptions stripped of the
    trailing newline that YAML block text leaves)."""
    comments = dict(
        con.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'mart'",
            [catalog],
        ).fetchall()
    )
    rows = con.execute(
        "SELECT table_name, column_name, data_type, NOT is_nullable, comment FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = 'mart' ORDER BY table_name, column_index",
        [catalog],
    ).fetchall()
    keys = con.execute(
        "SELECT table_name, constraint_type, constraint_column_names, referenced_table, referenced_column_names "
        "FROM duckdb_constraints() WHERE database_name = ? AND schema_name = 'mart' "
        "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY') ORDER BY table_name, constraint_index",
        [catalog],
    ).fetchall()
    schema = {}
    for table in tables:
        columns = [Column(c, t, bool(nn), _clean(note)) for tb, c, t, nn, note in rows if tb == table]
        mine = [k for k in keys if k[0] == table]
        schema[table] = TableSchema(
            name=table,
            comment=_clean(comments.get(table)),
            columns=columns,
            primary_key=next((list(k[2]) for k in mine if k[1] == "PRIMARY KEY"), []),
            unique=[list(k[2]) for k in mine if k[1] == "UNIQUE"],
            foreign_keys=[(list(k[2]), k[3], list(k[4])) for k in mine if k[1] == "FOREIGN KEY"],
        )
    return schema


# ------------------------------------------------------------------------------------------------ Parquet


def write_parquet(con: duckdb.DuckDBPyConnection, table: TableSchema, path: Path, release_id: str) -> None:
    """``rel.mart.<table>`` as Parquet, naming its release and carrying its descriptions in the file metadata."""
    metadata = {
        "release_id": release_id,
        "tabel": table.name,
        "omschrijving": table.comment or "",
        "kolommen": json.dumps(table.descriptions(), ensure_ascii=False),
    }
    kv = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in metadata.items())
    con.execute(f'COPY rel.mart."{table.name}" TO {_literal(str(path))} (FORMAT parquet, KV_METADATA {{{kv}}})')


# ------------------------------------------------------------------------------------------ shapes + xlsx


def write_extras(con: duckdb.DuckDBPyConnection, folder: Path, schema: dict[str, TableSchema], *, release_id: str):
    """The map files and the workbook, as far as the release's tables allow."""
    gebied = schema.get("dim_gebied")
    if gebied and SHAPE_COLUMN in {c.name for c in gebied.columns}:
        write_shapes(con, folder)
    if "wijkprofiel" in schema:
        write_workbook(con, folder / WORKBOOK, schema, release_id=release_id)


def write_shapes(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    present = {row[0] for row in con.execute("DESCRIBE rel.mart.dim_gebied").fetchall()}
    props = [c for c in SHAPE_PROPERTIES if c in present]
    rows = con.execute(
        f"SELECT {', '.join(props)}, {SHAPE_COLUMN} FROM rel.mart.dim_gebied "
        f"WHERE {SHAPE_COLUMN} IS NOT NULL ORDER BY gebiedcode"
    ).fetchall()
    features = [(geo.from_wkt(row[-1]), dict(zip(props, row[:-1], strict=True))) for row in rows]
    (folder / GEOJSON).write_text(json.dumps(geo.feature_collection(features), ensure_ascii=False), encoding="utf-8")
    for niveau, name in TOPOJSON.items():
        level = [(shape, props) for shape, props in features if props.get("niveau") == niveau]
        topology = geo.topology({name: level})
        (folder / f"{name}.topo.json").write_text(json.dumps(topology, ensure_ascii=False), encoding="utf-8")


# ------------------------------------------------------------------------------------------------ helpers


def _names(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _clean(text: str | None) -> str | None:
    return " ".join(text.split()) if text and text.strip() else None
