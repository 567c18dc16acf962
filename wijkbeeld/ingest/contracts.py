"""Partner dataset contracts: YAML files in ``assets/contracts/`` parsed into typed, validated pydantic models.

A contract is data, not code: adding a partner dataset means writing one YAML file (plus a Dagster asset line and
a dbt staging model). The engine only interprets the vocabulary defined here, so a typo in a contract fails
loudly at load time (unknown keys are refused, choices are ``Literal``s, sections are cross-checked) instead of
silently skipping a check. :func:`contract_json_schema` exports the same vocabulary as a JSON Schema
(``docs/contract.schema.json``, linked from docs/partners.md).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from wijkbeeld.settings import CONTRACTS_DIR

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "contract.schema.json"

AREA_DIGITS = {"GM": 4, "WK": 6, "BU": 8}
DEFAULT_SQL_TYPES = {
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "text": "VARCHAR",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}
# Provenance columns every raw table ends with (warehouse contract).
PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bron_bestand", "VARCHAR"),
    ("bron_sha256", "VARCHAR"),
    ("levering_id", "BIGINT"),
    ("bron_regel", "BIGINT"),
    ("geladen_op", "TIMESTAMP"),
)

ColumnType = Literal["integer", "decimal", "text", "date", "datetime"]
SqlType = Literal["BIGINT", "INTEGER", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP"]
AreaPrefix = Literal["GM", "WK", "BU"]


def _month(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}", value):
        raise ValueError("must look like YYYY-MM")
    return date(int(value[:4]), int(value[5:]), 1)


def _texts(value: Any) -> Any:
    """A list of values as texts (YAML reads ``[0, -]`` as a number and a string)."""
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return tuple(str(v) for v in value)
    return value


def _dataset_ref(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[a-z0-9_]+/[a-z0-9_]+", value):
        raise ValueError(f"must look like partner/dataset, got {value!r}")
    return value


Month = Annotated[date, BeforeValidator(_month), WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$"})]
Texts = Annotated[tuple[str, ...], BeforeValidator(_texts)]
DatasetRef = Annotated[str, BeforeValidator(_dataset_ref), Field(pattern=r"^[a-z0-9_]+/[a-z0-9_]+$")]


class ContractError(ValueError):
    """A contract file is invalid; the message names the file and the offending key."""


class _Strict(BaseModel):
    """Every section: unknown keys are an error, values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSpec(_Strict):
    """How the file is named and how its bytes are read.

    For ``xlsx`` the engine writes the sheet as a normalised CSV first; ``delimiter``/``encoding`` then
    describe that internal copy, ``sheet`` and ``header_contains`` (the header is the first row holding
    that column name, so title lines above it are skipped) describe the workbook.
    """

    format: Literal["csv", "xlsx"]
    name_pattern: str = Field(description="regular expression for the whole file name; '\\d' means 0-9 only")
    name_example: str
    delimiter: str = Field(default=";", min_length=1, max_length=1, description="csv only")
    encoding: Literal["utf-8", "utf-8-sig", "cp1252"] = Field(default="utf-8", description="csv only")
    decimal: Literal[".", ","] = "."
    quote: str = Field(default='"', min_length=1, max_length=1)
    max_bad_row_fraction: float = Field(default=0.05, ge=0, lt=1)
    sheet: str | None = Field(default=None, description="xlsx only")
    header_contains: str | None = Field(default=None, description="xlsx only")
    _regex: re.Pattern[str] = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _format_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if data.get("format") == "xlsx":
            if "delimiter" in data or "encoding" in data:
                raise ValueError("file.delimiter/encoding do not apply to xlsx (the engine reads the workbook)")
            if not data.get("sheet") or not data.get("header_contains"):
                raise ValueError("file needs 'sheet' and 'header_contains' for xlsx")
        elif data.get("format") == "csv":
            if "sheet" in data or "header_contains" in data:
                raise ValueError("file.sheet/header_contains apply to xlsx only")
            for key in ("delimiter", "encoding"):
                if data.get(key) in (None, ""):
                    raise ValueError(f"file needs '{key}'")
        return data

    @field_validator("name_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"file.name_pattern is not a valid regex: {exc}") from exc
        return value

    def model_post_init(self, _context: Any) -> None:
        # ASCII: '\d' is 0-9 only (not Arabic-Indic digits, which int() would read as a period)
        self._regex = re.compile(self.name_pattern, re.ASCII)

    @property
    def regex(self) -> re.Pattern[str]:
        return self._regex


class PeriodSpec(_Strict):
    """Where the delivery period comes from and which periods are plausible."""

    group: str = Field(description="the named group of file.name_pattern that holds the period")
    granularity: Literal["year", "quarter", "month"]
    earliest: Month
    row_column: str | None = None
    row_not_after_file: bool = False


class Cadence(_Strict):
    """How often a dataset is delivered: the period after the newest delivered one is due ``grace_days``
    after that period ends (used for the freshness check)."""

    period: Literal["month", "quarter", "year"]
    grace_days: int = Field(default=0, ge=0, strict=True)


class Derive(_Strict):
    """A target column that is not read from a source column."""

    kind: Literal["file_period", "file_group", "month_of", "address_mapping", "area_mapping"]
    group: str | None = None
    column: str | None = None
    part: Literal["buurt", "wijk", "method"] | None = None

    @model_validator(mode="after")
    def _needs(self) -> Derive:
        if self.kind == "file_group" and not self.group:
            raise ValueError("kind file_group needs 'group'")
        if self.kind == "month_of" and not self.column:
            raise ValueError("kind month_of needs 'column'")
        if self.kind == "address_mapping" and self.part is None:
            raise ValueError("kind address_mapping needs 'part' (buurt, wijk or method)")
        if self.kind == "area_mapping" and self.part not in ("wijk", "method"):
            raise ValueError("kind area_mapping needs 'part' (wijk or method)")
        return self


class ColumnSpec(_Strict):
    """One target column of the raw table, read from ``source`` or derived."""

    target: str
    type: ColumnType
    sql_type: SqlType | None = Field(default=None, description="default: from type")
    source: str | None = None
    derive: Derive | None = None
    required: bool = True
    nullable: bool = True
    null_values: Texts = ()
    null_meaning: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: Texts = ()
    skip_values: Texts = ()
    normalise: Literal["area_code", "pc6"] | None = None
    prefixes: tuple[AreaPrefix, ...] = ()
    formats: Texts = Field(default=(), description="strptime codes of a date/datetime read from the file")
    on_invalid: Literal["reject", "null"] = "reject"
    pseudonymise: bool = False

    @model_validator(mode="before")
    @classmethod
    def _default_sql_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("sql_type") is None and data.get("type") in DEFAULT_SQL_TYPES:
            return {**data, "sql_type": DEFAULT_SQL_TYPES[data["type"]]}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ColumnSpec:
        where = f"column '{self.target}'"
        if (self.source is None) == (self.derive is None):
            raise ValueError(f"{where} needs exactly one of 'source' or 'derive'")
        if self.normalise is not None and self.type != "text":
            raise ValueError(f"{where}: normalise applies to text columns only")
        if self.normalise == "area_code" and not self.prefixes:
            raise ValueError(f"{where}: area_code needs prefixes from {sorted(AREA_DIGITS)}")
        if not self.required and not self.nullable:
            raise ValueError(f"{where}: an optional column (required: false) must be nullable")
        if self.pseudonymise and (self.type != "text" or not self.source or self.normalise):
            raise ValueError(f"{where}: pseudonymise applies to plain text columns read from the file")
        if self.source and self.type in ("date", "datetime") and not self.formats:
            raise ValueError(f"{where}: a {self.type} read from the file needs 'formats' (strptime codes)")
        return self


class PersonalColumn(_Strict):
    """A source column with personal data: never stored, at most used for mapping."""

    source: str
    why: str = "personal data"
    required: bool = False


class AddressMapping(_Strict):
    """Map rows to buurt/wijk via the CBS address table (PC6 + huisnummer, fallback PC6 majority)."""

    reference: DatasetRef
    pc6: str
    huisnummer_source: str | None = None


class AreaMapping(_Strict):
    """Map rows with a delivered buurt code to their wijk in the reference geography."""

    column: str
    reference: DatasetRef = "cbs/kerncijfers"


class ReferenceGeography(_Strict):
    """The area-code column whose rows are counted as not mapped when the code is not in the reference geography."""

    column: str


class Check(_Strict):
    """A cross-dataset check, e.g. an area code must exist in the CBS geography."""

    kind: Literal["area_exists"]
    column: str
    reference: DatasetRef
    reference_column: str


class Contract(_Strict):
    """The full contract of one partner dataset (one YAML file)."""

    partner: str = Field(pattern=r"^[a-z0-9_]+$")
    dataset: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str
    file: FileSpec
    period: PeriodSpec
    columns: tuple[ColumnSpec, ...] = Field(min_length=1)
    keys: tuple[str, ...] = Field(min_length=1, description="the target column(s) that identify a row")
    personal_data: tuple[PersonalColumn, ...] = ()
    address_mapping: AddressMapping | None = None
    checks: tuple[Check, ...] = ()
    cadence: Cadence | None = None
    newest_wins_per: tuple[str, ...] = ()
    reference_geography: ReferenceGeography | None = None
    area_mapping: AreaMapping | None = None

    @field_validator("description")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())

    @model_validator(mode="after")
    def _cross_check(self) -> Contract:
        """Consistency between sections: every name a section uses must exist and make sense."""
        targets = {c.target: c for c in self.columns}
        if len(targets) != len(self.columns):
            raise ValueError("duplicate target column names")
        groups = self.file.regex.groupindex
        if self.period.group not in groups:
            raise ValueError(f"period.group '{self.period.group}' is not a named group of file.name_pattern")
        personal = self.personal_sources()
        for col in self.columns:
            derive = col.derive
            if col.source and col.source.strip().lower() in personal:
                raise ValueError(f"column '{col.target}' reads personal-data column '{col.source}'")
            if derive and derive.kind == "file_group" and derive.group not in groups:
                raise ValueError(f"column '{col.target}': '{derive.group}' is not a group of file.name_pattern")
            if derive and derive.kind == "month_of" and not _is_date(targets.get(derive.column or "")):
                raise ValueError(f"column '{col.target}': month_of needs a date/datetime target column")
            if derive and derive.kind == "address_mapping" and self.address_mapping is None:
                raise ValueError(f"column '{col.target}' derives from address_mapping, which is missing")
            if derive and derive.kind == "area_mapping" and self.area_mapping is None:
                raise ValueError(f"column '{col.target}' derives from area_mapping, which is missing")
        for key in self.newest_wins_per:
            if key not in targets:
                raise ValueError(f"newest_wins_per '{key}' is not a target column")
        for key in self.keys:
            if key not in targets:
                raise ValueError(f"key '{key}' is not a target column")
            if targets[key].nullable and targets[key].source:
                raise ValueError(f"key column '{key}' must be nullable: false")
        row_col = self.period.row_column
        if row_col and not _is_date(targets.get(row_col)):
            raise ValueError(f"period.row_column '{row_col}' must be a date/datetime target column")
        mapping = self.address_mapping
        if mapping:
            if mapping.pc6 not in targets or targets[mapping.pc6].normalise != "pc6":
                raise ValueError(f"address_mapping.pc6 '{mapping.pc6}' must be a target column with normalise: pc6")
            if mapping.huisnummer_source and mapping.huisnummer_source.strip().lower() not in personal:
                raise ValueError("address_mapping.huisnummer_source must be listed under personal_data")
        area = self.area_mapping
        if area and (
            area.column not in targets
            or targets[area.column].normalise != "area_code"
            or targets[area.column].prefixes != ("BU",)
        ):
            raise ValueError(
                f"area_mapping.column '{area.column}' must be a target column with area_code prefixes [BU]"
            )
        geography = self.reference_geography
        if geography and (geography.column not in targets or targets[geography.column].normalise != "area_code"):
            raise ValueError(
                f"reference_geography.column '{geography.column}' must be a target column with normalise: area_code"
            )
        for i, check in enumerate(self.checks):
            if check.column not in targets:
                raise ValueError(f"checks[{i}].column '{check.column}' is not a target column")
        return self

    # ---------------------------------------------------------------------------------- what the engine asks

    @property
    def name(self) -> str:
        return f"{self.partner}/{self.dataset}"

    @property
    def raw_table(self) -> str:
        return f"raw_{self.partner}__{self.dataset}"

    @property
    def line_word(self) -> str:
        """How a partner counts the place of a record: Excel users count rows, CSV users lines."""
        return "row" if self.file.format == "xlsx" else "line"

    def column(self, target: str) -> ColumnSpec:
        return next(c for c in self.columns if c.target == target)

    def table_columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) of the raw table: data columns, then provenance."""
        return [(c.target, str(c.sql_type)) for c in self.columns] + list(PROVENANCE_COLUMNS)

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

    def file_targets(self) -> list[str]:
        """Targets whose value comes from the file name (its period or a group of its name)."""
        return [c.target for c in self.columns if c.derive and c.derive.kind in ("file_period", "file_group")]

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


def _is_date(col: ColumnSpec | None) -> bool:
    return col is not None and col.type in ("date", "datetime")


# ------------------------------------------------------------------------------------------------ loading


def parse_contract(data: Any, path: Path) -> Contract:
    """Validate a parsed YAML document and build the :class:`Contract`; the file must be named after it."""
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        raise ContractError(f"{path.name}: {_first_error(exc)}") from None
    if path.stem != f"{contract.partner}__{contract.dataset}":
        raise ContractError(f"{path.name}: file must be named {contract.partner}__{contract.dataset}.yaml")
    return contract


def _first_error(exc: ValidationError) -> str:
    """One line: where in the contract and what is wrong."""
    error = exc.errors()[0]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    if error["type"] == "extra_forbidden":
        return f"unknown key '{error['loc'][-1]}' in {where.rpartition('.')[0] or 'the contract'}"
    if error["type"] == "missing":
        return f"{where.rpartition('.')[0] or 'the contract'} needs '{error['loc'][-1]}'"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def load_contract_file(path: Path) -> Contract:
    """Read and validate one contract YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{path.name}: not valid YAML: {exc}") from exc
    return parse_contract(data, path)


@cache
def all_contracts(folder: Path = CONTRACTS_DIR) -> tuple[Contract, ...]:
    """Every contract in ``folder`` (``assets/contracts/``), sorted by name (cached: contracts ship with the code)."""
    return tuple(load_contract_file(p) for p in sorted(folder.glob("*__*.yaml")))


def load_contract(partner: str, dataset: str) -> Contract:
    """The contract of ``partner/dataset``; KeyError naming the known ones when absent."""
    for contract in all_contracts():
        if (contract.partner, contract.dataset) == (partner, dataset):
            return contract
    known = ", ".join(c.name for c in all_contracts())
    raise KeyError(f"no contract for {partner}/{dataset}; known: {known}")


def contract_for_name(file_name: str) -> Contract | None:
    """The contract whose file-name pattern matches ``file_name`` (None when none or ambiguous)."""
    matches = [c for c in all_contracts() if c.file.regex.fullmatch(file_name)]
    return matches[0] if len(matches) == 1 else None


def contract_json_schema() -> dict[str, Any]:
    """The contract vocabulary as a JSON Schema (what ``docs/contract.schema.json`` holds)."""
    schema = Contract.model_json_schema()
    schema["title"] = "wijkbeeld partner dataset contract"
    return schema
