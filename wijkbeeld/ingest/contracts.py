"""Partner dataset contracts: YAML files in ``assets/contracts/`` loaded into typed, validated objects.

A contract is data, not code: adding a partner dataset means writing one YAML file (plus a dbt staging
model). The engine in :mod:`wijkbeeld.ingest.engine` only interprets the vocabulary checked here, so a typo in a
contract fails loudly at load time instead of silently skipping a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "contracts"  # data, beside the assets that use it

FORMATS = ("csv", "xlsx")  # readers in wijkbeeld.ingest
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
TYPES = ("integer", "decimal", "text", "date", "datetime")
DEFAULT_SQL_TYPES = {
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "text": "VARCHAR",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}
SQL_TYPES = ("BIGINT", "INTEGER", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP")
GRANULARITIES = ("year", "quarter", "month")
NORMALISATIONS = ("area_code", "pc6")
AREA_DIGITS = {"GM": 4, "WK": 6, "BU": 8}
DERIVE_KINDS = ("file_period", "file_group", "month_of", "address_mapping", "area_mapping")
MAPPING_PARTS = ("buurt", "wijk", "method")
AREA_MAPPING_PARTS = ("wijk", "method")
CADENCE_PERIODS = ("month", "quarter", "year")
CHECK_KINDS = ("area_exists",)

# Provenance columns every raw table ends with (warehouse contract).
PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bron_bestand", "VARCHAR"),
    ("bron_sha256", "VARCHAR"),
    ("levering_id", "BIGINT"),
    ("bron_regel", "BIGINT"),
    ("geladen_op", "TIMESTAMP"),
)


class ContractError(ValueError):
    """A contract file is invalid; the message names the file and the offending key."""


@dataclass(frozen=True)
class FileSpec:
    """How the file is named and how its bytes are read.

    For ``xlsx`` the engine writes the sheet as a normalised CSV first; ``delimiter``/``encoding`` then
    describe that internal copy, ``sheet`` and ``header_contains`` (the header is the first row holding
    that column name, so title lines above it are skipped) describe the workbook.
    """

    format: str
    name_pattern: re.Pattern[str]
    name_example: str
    delimiter: str
    encoding: str
    decimal: str = "."
    quote: str = '"'
    max_bad_row_fraction: float = 0.05
    sheet: str | None = None
    header_contains: str | None = None


@dataclass(frozen=True)
class PeriodSpec:
    """Where the delivery period comes from and which periods are plausible."""

    group: str
    granularity: str
    earliest: date
    row_column: str | None = None
    row_not_after_file: bool = False


@dataclass(frozen=True)
class Cadence:
    """How often a dataset is delivered: the period after the newest delivered one is due ``grace_days``
    after that period ends (used for the freshness check)."""

    period: str
    grace_days: int


@dataclass(frozen=True)
class Derive:
    """A target column that is not read from a source column."""

    kind: str
    group: str | None = None
    column: str | None = None
    part: str | None = None


@dataclass(frozen=True)
class ColumnSpec:
    """One target column of the raw table, read from ``source`` or derived."""

    target: str
    type: str
    sql_type: str
    source: str | None = None
    derive: Derive | None = None
    required: bool = True
    nullable: bool = True
    null_values: tuple[str, ...] = ()
    null_meaning: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] = ()
    skip_values: tuple[str, ...] = ()
    normalise: str | None = None
    prefixes: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    on_invalid: str = "reject"
    pseudonymise: bool = False


@dataclass(frozen=True)
class PersonalColumn:
    """A source column with personal data: never stored, at most used for mapping."""

    source: str
    why: str
    required: bool = False


@dataclass(frozen=True)
class AddressMapping:
    """Map rows to buurt/wijk via the CBS address table (PC6 + huisnummer, fallback PC6 majority)."""

    reference: str
    pc6: str
    huisnummer_source: str | None = None


@dataclass(frozen=True)
class AreaMapping:
    """Map rows with a delivered buurt code to their wijk in the reference geography."""

    column: str
    reference: str = "cbs/kerncijfers"


@dataclass(frozen=True)
class Check:
    """A cross-dataset check, e.g. an area code must exist in the CBS geography."""

    kind: str
    column: str
    reference: str
    reference_column: str


@dataclass(frozen=True)
class Contract:
    """The full contract of one partner dataset."""

    partner: str
    dataset: str
    description: str
    file: FileSpec
    period: PeriodSpec
    columns: tuple[ColumnSpec, ...]
    keys: tuple[str, ...] = ()
    personal_data: tuple[PersonalColumn, ...] = ()
    address_mapping: AddressMapping | None = None
    checks: tuple[Check, ...] = ()
    cadence: Cadence | None = None
    newest_wins_per: tuple[str, ...] = ()
    reference_geography: str | None = None
    area_mapping: AreaMapping | None = None
    path: Path = field(default=CONTRACTS_DIR, compare=False)

    @property
    def name(self) -> str:
        return f"{self.partner}/{self.dataset}"

    @property
    def raw_table(self) -> str:
        return f"raw_{self.partner}__{self.dataset}"

    def column(self, target: str) -> ColumnSpec:
        return next(c for c in self.columns if c.target == target)

    def table_columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) of the raw table: data columns, then provenance."""
        return [(c.target, c.sql_type) for c in self.columns] + list(PROVENANCE_COLUMNS)

    def source_columns(self) -> dict[str, bool]:
        """Source header names (lower case) the engine reads -> whether the file must have them."""
        needed: dict[str, bool] = {}
        for col in self.columns:
            if col.source:
                key = col.source.strip().lower()
                needed[key] = needed.get(key, False) or col.required
        for pd in self.personal_data:
            key = pd.source.strip().lower()
            needed[key] = needed.get(key, False) or pd.required
        return needed

    def personal_sources(self) -> set[str]:
        return {pd.source.strip().lower() for pd in self.personal_data}

    def requires(self) -> list[str]:
        """Datasets (partner/dataset) that must be loaded before this one can be ingested."""
        refs = [c.reference for c in self.checks]
        if self.address_mapping:
            refs.append(self.address_mapping.reference)
        if self.area_mapping:
            refs.append(self.area_mapping.reference)
        if self.reference_geography:
            refs.append("cbs/kerncijfers")
        return sorted(set(refs))


# ---------------------------------------------------------------- parsing helpers


def _fail(path: Path, msg: str) -> ContractError:
    return ContractError(f"{path.name}: {msg}")


def _take(data: dict[str, Any], allowed: set[str], where: str, path: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _fail(path, f"{where} must be a mapping")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _fail(path, f"unknown key(s) {unknown} in {where}; allowed: {sorted(allowed)}")
    return data


def _need(data: dict[str, Any], key: str, where: str, path: Path) -> Any:
    if data.get(key) in (None, ""):
        raise _fail(path, f"{where} needs '{key}'")
    return data[key]


def _choice(value: Any, options: tuple[str, ...], where: str, path: Path) -> str:
    if value not in options:
        raise _fail(path, f"{where} is {value!r}; expected one of {list(options)}")
    return str(value)


def _strs(value: Any, where: str, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise _fail(path, f"{where} must be a list of strings")
    return tuple(str(v) for v in value)


def _parse_file(data: Any, path: Path) -> FileSpec:
    keys = {"format", "name_pattern", "name_example", "delimiter", "encoding", "decimal", "quote"}
    keys |= {"max_bad_row_fraction", "sheet", "header_contains"}
    d = _take(data, keys, "file", path)
    fmt = _choice(_need(d, "format", "file", path), FORMATS, "file.format", path)
    try:
        # ASCII: '\d' is 0-9 only (not Arabic-Indic digits, which int() would read as a period)
        pattern = re.compile(_need(d, "name_pattern", "file", path), re.ASCII)
    except re.error as exc:
        raise _fail(path, f"file.name_pattern is not a valid regex: {exc}") from exc
    xlsx = fmt == "xlsx"
    if xlsx:
        _need(d, "sheet", "file", path)
        _need(d, "header_contains", "file", path)
        if "delimiter" in d or "encoding" in d:
            raise _fail(path, "file.delimiter/encoding do not apply to xlsx (the engine reads the workbook)")
    elif "sheet" in d or "header_contains" in d:
        raise _fail(path, "file.sheet/header_contains apply to xlsx only")
    delimiter = ";" if xlsx else str(_need(d, "delimiter", "file", path))
    if len(delimiter) != 1:
        raise _fail(path, "file.delimiter must be one character")
    decimal = _choice(d.get("decimal", "."), (".", ","), "file.decimal", path)
    fraction = float(d.get("max_bad_row_fraction", 0.05))
    if not 0 <= fraction < 1:
        raise _fail(path, "file.max_bad_row_fraction must be in [0, 1)")
    return FileSpec(
        format=fmt,
        name_pattern=pattern,
        name_example=str(_need(d, "name_example", "file", path)),
        delimiter=delimiter,
        encoding="utf-8" if xlsx else _choice(_need(d, "encoding", "file", path), ENCODINGS, "file.encoding", path),
        decimal=decimal,
        quote=str(d.get("quote", '"')),
        max_bad_row_fraction=fraction,
        sheet=str(d["sheet"]) if xlsx else None,
        header_contains=str(d["header_contains"]) if xlsx else None,
    )


def _parse_period(data: Any, file: FileSpec, path: Path) -> PeriodSpec:
    keys = {"group", "granularity", "earliest", "row_column", "row_not_after_file"}
    d = _take(data, keys, "period", path)
    group = str(_need(d, "group", "period", path))
    if group not in file.name_pattern.groupindex:
        raise _fail(path, f"period.group '{group}' is not a named group of file.name_pattern")
    earliest_text = str(_need(d, "earliest", "period", path))
    if not re.fullmatch(r"\d{4}-\d{2}", earliest_text):
        raise _fail(path, "period.earliest must look like YYYY-MM")
    return PeriodSpec(
        group=group,
        granularity=_choice(_need(d, "granularity", "period", path), GRANULARITIES, "period.granularity", path),
        earliest=date(int(earliest_text[:4]), int(earliest_text[5:]), 1),
        row_column=d.get("row_column"),
        row_not_after_file=bool(d.get("row_not_after_file", False)),
    )


_COLUMN_KEYS = {
    "target",
    "type",
    "sql_type",
    "source",
    "derive",
    "required",
    "nullable",
    "null_values",
    "null_meaning",
    "min",
    "max",
    "allowed",
    "skip_values",
    "normalise",
    "prefixes",
    "formats",
    "on_invalid",
    "pseudonymise",
}


def _parse_derive(data: Any, where: str, path: Path) -> Derive:
    d = _take(data, {"kind", "group", "column", "part"}, where, path)
    kind = _choice(_need(d, "kind", where, path), DERIVE_KINDS, f"{where}.kind", path)
    derive = Derive(kind=kind, group=d.get("group"), column=d.get("column"), part=d.get("part"))
    if kind == "file_group" and not derive.group:
        raise _fail(path, f"{where}: kind file_group needs 'group'")
    if kind == "month_of" and not derive.column:
        raise _fail(path, f"{where}: kind month_of needs 'column'")
    if kind == "address_mapping":
        _choice(derive.part, MAPPING_PARTS, f"{where}.part", path)
    if kind == "area_mapping":
        _choice(derive.part, AREA_MAPPING_PARTS, f"{where}.part", path)
    return derive


def _parse_column(data: Any, index: int, path: Path) -> ColumnSpec:
    where = f"columns[{index}]"
    d = _take(data, _COLUMN_KEYS, where, path)
    target = str(_need(d, "target", where, path))
    where = f"column '{target}'"
    ctype = _choice(_need(d, "type", where, path), TYPES, f"{where}.type", path)
    sql_type = _choice(d.get("sql_type", DEFAULT_SQL_TYPES[ctype]), SQL_TYPES, f"{where}.sql_type", path)
    source = d.get("source")
    derive = _parse_derive(d["derive"], f"{where}.derive", path) if "derive" in d else None
    if (source is None) == (derive is None):
        raise _fail(path, f"{where} needs exactly one of 'source' or 'derive'")
    normalise = d.get("normalise")
    if normalise is not None:
        _choice(normalise, NORMALISATIONS, f"{where}.normalise", path)
        if ctype != "text":
            raise _fail(path, f"{where}: normalise applies to text columns only")
    prefixes = _strs(d.get("prefixes"), f"{where}.prefixes", path)
    if normalise == "area_code" and (not prefixes or not set(prefixes) <= set(AREA_DIGITS)):
        raise _fail(path, f"{where}: area_code needs prefixes from {sorted(AREA_DIGITS)}")
    if not d.get("required", True) and not d.get("nullable", True):
        raise _fail(path, f"{where}: an optional column (required: false) must be nullable")
    formats = _strs(d.get("formats"), f"{where}.formats", path)
    pseudonymise = bool(d.get("pseudonymise", False))
    if pseudonymise and (ctype != "text" or not source or normalise):
        raise _fail(path, f"{where}: pseudonymise applies to plain text columns read from the file")
    if source and ctype in ("date", "datetime") and not formats:
        raise _fail(path, f"{where}: a {ctype} read from the file needs 'formats' (strptime codes)")
    return ColumnSpec(
        target=target,
        type=ctype,
        sql_type=sql_type,
        source=str(source) if source is not None else None,
        derive=derive,
        required=bool(d.get("required", True)),
        nullable=bool(d.get("nullable", True)),
        null_values=_strs(d.get("null_values"), f"{where}.null_values", path),
        null_meaning=d.get("null_meaning"),
        min=float(d["min"]) if d.get("min") is not None else None,
        max=float(d["max"]) if d.get("max") is not None else None,
        allowed=_strs(d.get("allowed"), f"{where}.allowed", path),
        skip_values=_strs(d.get("skip_values"), f"{where}.skip_values", path),
        normalise=normalise,
        prefixes=prefixes,
        formats=formats,
        on_invalid=_choice(d.get("on_invalid", "reject"), ("reject", "null"), f"{where}.on_invalid", path),
        pseudonymise=pseudonymise,
    )


def _parse_personal(data: Any, index: int, path: Path) -> PersonalColumn:
    d = _take(data, {"source", "why", "required"}, f"personal_data[{index}]", path)
    return PersonalColumn(
        source=str(_need(d, "source", f"personal_data[{index}]", path)),
        why=str(d.get("why", "personal data")),
        required=bool(d.get("required", False)),
    )


def _check_dataset_ref(ref: str, where: str, path: Path) -> str:
    if not re.fullmatch(r"[a-z0-9_]+/[a-z0-9_]+", ref):
        raise _fail(path, f"{where} must look like partner/dataset, got {ref!r}")
    return ref


def _parse_mapping(data: Any, targets: dict[str, ColumnSpec], path: Path) -> AddressMapping:
    d = _take(data, {"reference", "pc6", "huisnummer_source"}, "address_mapping", path)
    pc6 = str(_need(d, "pc6", "address_mapping", path))
    if pc6 not in targets or targets[pc6].normalise != "pc6":
        raise _fail(path, f"address_mapping.pc6 '{pc6}' must be a target column with normalise: pc6")
    ref = _check_dataset_ref(str(_need(d, "reference", "address_mapping", path)), "address_mapping", path)
    return AddressMapping(reference=ref, pc6=pc6, huisnummer_source=d.get("huisnummer_source"))


def _parse_cadence(data: Any, path: Path) -> Cadence:
    d = _take(data, {"period", "grace_days"}, "cadence", path)
    grace = d.get("grace_days", 0)
    if not isinstance(grace, int) or grace < 0:
        raise _fail(path, "cadence.grace_days must be a whole number of days >= 0")
    return Cadence(period=_choice(_need(d, "period", "cadence", path), CADENCE_PERIODS, "cadence.period", path),
                   grace_days=grace)  # fmt: skip


def _parse_area_mapping(data: Any, targets: dict[str, ColumnSpec], path: Path) -> AreaMapping:
    d = _take(data, {"column", "reference"}, "area_mapping", path)
    column = str(_need(d, "column", "area_mapping", path))
    if column not in targets or targets[column].normalise != "area_code" or targets[column].prefixes != ("BU",):
        raise _fail(path, f"area_mapping.column '{column}' must be a target column with area_code prefixes [BU]")
    ref = _check_dataset_ref(str(d.get("reference", "cbs/kerncijfers")), "area_mapping", path)
    return AreaMapping(column=column, reference=ref)


def _parse_reference_geography(data: Any, targets: dict[str, ColumnSpec], path: Path) -> str:
    d = _take(data, {"column"}, "reference_geography", path)
    column = str(_need(d, "column", "reference_geography", path))
    if column not in targets or targets[column].normalise != "area_code":
        raise _fail(path, f"reference_geography.column '{column}' must be a target column with normalise: area_code")
    return column


def _parse_check(data: Any, index: int, targets: dict[str, ColumnSpec], path: Path) -> Check:
    where = f"checks[{index}]"
    d = _take(data, {"kind", "column", "reference", "reference_column"}, where, path)
    check = Check(
        kind=_choice(_need(d, "kind", where, path), CHECK_KINDS, f"{where}.kind", path),
        column=str(_need(d, "column", where, path)),
        reference=_check_dataset_ref(str(_need(d, "reference", where, path)), where, path),
        reference_column=str(_need(d, "reference_column", where, path)),
    )
    if check.column not in targets:
        raise _fail(path, f"{where}.column '{check.column}' is not a target column")
    return check


def _cross_check(contract: Contract, path: Path) -> None:
    """Consistency between sections: every name a section uses must exist and make sense."""
    targets = {c.target: c for c in contract.columns}
    if len(targets) != len(contract.columns):
        raise _fail(path, "duplicate target column names")
    personal = contract.personal_sources()
    for col in contract.columns:
        if col.source and col.source.strip().lower() in personal:
            raise _fail(path, f"column '{col.target}' reads personal-data column '{col.source}'")
        derive = col.derive
        if derive and derive.kind == "file_group" and derive.group not in contract.file.name_pattern.groupindex:
            raise _fail(path, f"column '{col.target}': '{derive.group}' is not a group of file.name_pattern")
        if (
            derive
            and derive.kind == "month_of"
            and (derive.column not in targets or targets[derive.column].type not in ("date", "datetime"))
        ):
            raise _fail(path, f"column '{col.target}': month_of needs a date/datetime target column")
        if derive and derive.kind == "address_mapping" and contract.address_mapping is None:
            raise _fail(path, f"column '{col.target}' derives from address_mapping, which is missing")
        if derive and derive.kind == "area_mapping" and contract.area_mapping is None:
            raise _fail(path, f"column '{col.target}' derives from area_mapping, which is missing")
    for key in contract.newest_wins_per:
        if key not in targets:
            raise _fail(path, f"newest_wins_per '{key}' is not a target column")
    if not contract.keys:
        raise _fail(path, "keys: list the target column(s) that identify a row (duplicates are checked on them)")
    for key in contract.keys:
        if key not in targets:
            raise _fail(path, f"key '{key}' is not a target column")
        if targets[key].nullable and targets[key].source:
            raise _fail(path, f"key column '{key}' must be nullable: false")
    row_col = contract.period.row_column
    if row_col and (row_col not in targets or targets[row_col].type not in ("date", "datetime")):
        raise _fail(path, f"period.row_column '{row_col}' must be a date/datetime target column")
    mapping = contract.address_mapping
    if mapping and mapping.huisnummer_source and mapping.huisnummer_source.strip().lower() not in personal:
        raise _fail(path, "address_mapping.huisnummer_source must be listed under personal_data")


def parse_contract(data: Any, path: Path) -> Contract:
    """Validate a parsed YAML document and build the :class:`Contract`."""
    keys = {"partner", "dataset", "description", "file", "period", "columns", "keys", "personal_data"}
    keys |= {"address_mapping", "checks", "cadence", "newest_wins_per", "reference_geography", "area_mapping"}
    d = _take(data, keys, "the contract", path)
    partner = str(_need(d, "partner", "the contract", path))
    dataset = str(_need(d, "dataset", "the contract", path))
    if path.stem != f"{partner}__{dataset}":
        raise _fail(path, f"file must be named {partner}__{dataset}.yaml")
    file = _parse_file(_need(d, "file", "the contract", path), path)
    columns = tuple(_parse_column(c, i, path) for i, c in enumerate(_need(d, "columns", "the contract", path)))
    targets = {c.target: c for c in columns}
    contract = Contract(
        partner=partner,
        dataset=dataset,
        description=" ".join(str(_need(d, "description", "the contract", path)).split()),
        file=file,
        period=_parse_period(_need(d, "period", "the contract", path), file, path),
        columns=columns,
        keys=_strs(d.get("keys"), "keys", path),
        personal_data=tuple(_parse_personal(p, i, path) for i, p in enumerate(d.get("personal_data") or [])),
        address_mapping=_parse_mapping(d["address_mapping"], targets, path) if d.get("address_mapping") else None,
        checks=tuple(_parse_check(c, i, targets, path) for i, c in enumerate(d.get("checks") or [])),
        cadence=_parse_cadence(d["cadence"], path) if d.get("cadence") else None,
        newest_wins_per=_strs(d.get("newest_wins_per"), "newest_wins_per", path),
        reference_geography=(
            _parse_reference_geography(d["reference_geography"], targets, path)
            if d.get("reference_geography")
            else None
        ),
        area_mapping=_parse_area_mapping(d["area_mapping"], targets, path) if d.get("area_mapping") else None,
        path=path,
    )
    _cross_check(contract, path)
    return contract


def load_contract_file(path: Path) -> Contract:
    """Read and validate one contract YAML file."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML: {exc}") from exc
    return parse_contract(data, path)


@cache
def all_contracts() -> tuple[Contract, ...]:
    """Every contract in ``assets/contracts/``, sorted by name (cached: contracts ship with the code)."""
    return tuple(load_contract_file(p) for p in sorted(CONTRACTS_DIR.glob("*__*.yaml")))


def load_contract(partner: str, dataset: str) -> Contract:
    """The contract of ``partner/dataset``; KeyError naming the known ones when absent."""
    for contract in all_contracts():
        if (contract.partner, contract.dataset) == (partner, dataset):
            return contract
    known = ", ".join(c.name for c in all_contracts())
    raise KeyError(f"no contract for {partner}/{dataset}; known: {known}")


def contract_for_name(file_name: str) -> Contract | None:
    """The contract whose file-name pattern matches ``file_name`` (None when none or ambiguous)."""
    matches = [c for c in all_contracts() if c.file.name_pattern.fullmatch(file_name)]
    return matches[0] if len(matches) == 1 else None
