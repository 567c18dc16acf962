"""The ingest engine: partner extracts in landing -> the ``raw`` and ``meta`` tables of the warehouse.

Driven by contracts (``assets/contracts/*.yaml``, :mod:`.contracts`); see docs/ingest.md. The modules follow a
file's way through it:

- :mod:`.contracts` the contract vocabulary (pydantic models; JSON Schema for partners)
- :mod:`.landing` settled files in landing, the archive and the quarantine
- :mod:`.readers` the reading pass of a CSV file or Excel workbook, and DuckDB's read of a batch
- :mod:`.checks` per-file checks (name, period, header) and the per-file verdict on the rows
- :mod:`.rows` row-level validation in SQL (:mod:`.sql` its vocabulary); :mod:`.mapping` areas of the rows
- :mod:`.batch` one batch of files through read -> type -> split -> map -> judge
- :mod:`.tables` the raw and meta tables: created from the contracts, loaded one batch per transaction
- :mod:`.freshness` delivered on time, rows not mapped (read back for the Dagster checks)
- :mod:`.run` :func:`ingest_dataset`; :mod:`.validate` :func:`validate_file`, the partner-side check

Callers (the Dagster assets, the command line, the sensors) use the names below.
"""

from wijkbeeld.ingest.contracts import (
    Contract,
    ContractError,
    all_contracts,
    contract_for_name,
    contract_json_schema,
    load_contract,
)
from wijkbeeld.ingest.freshness import freshness, unmapped_by_period
from wijkbeeld.ingest.landing import Landing, linked_landing_folder, settled_files
from wijkbeeld.ingest.results import BadRow, FileProblem, Freshness, IngestReport, QuarantinedFile, Verdict
from wijkbeeld.ingest.run import ingest_dataset
from wijkbeeld.ingest.tables import ensure_warehouse
from wijkbeeld.ingest.validate import validate_file

__all__ = [
    "BadRow",
    "Contract",
    "ContractError",
    "FileProblem",
    "Freshness",
    "IngestReport",
    "Landing",
    "QuarantinedFile",
    "Verdict",
    "all_contracts",
    "contract_for_name",
    "contract_json_schema",
    "ensure_warehouse",
    "freshness",
    "ingest_dataset",
    "linked_landing_folder",
    "load_contract",
    "settled_files",
    "unmapped_by_period",
    "validate_file",
]
