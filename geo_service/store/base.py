"""The one storage interface. Every backend passes the same contract suite (tests/store/).

Bulk reads return (Geo)DataFrames with the columns listed in ``geo_service.domain``;
every write goes through ``apply()``, which is a single transaction: an import either
lands whole or leaves the store exactly as it was. Opening a store writes nothing: a store
that does not exist yet reads as empty and is created by its first write.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import pandas as pd


class StoreError(Exception):
    """A store that cannot do what was asked; the message says why and what was left as is."""


class StoreMissing(StoreError):
    """A command that only reads was pointed at a store that does not exist."""

    def __init__(self, location: str) -> None:
        super().__init__(
            f"no store at {location}; import boundaries first, or run `geo-service demo`"
        )


class StoreFull(StoreError):
    """The disk (or the database's size limit) was full; the write was rolled back."""


class StoreReadOnly(StoreError):
    """The store cannot be written (a read-only mount or file); it can still be read."""


class StoreBusy(StoreError):
    """Another import held the store for too long, or kept changing it."""


class StoreChanged(Exception):
    """``apply(…, expected_generation=…)``: another write landed since that generation.

    Not a ``StoreError``: the pipeline answers it by comparing again.
    """


@dataclass(frozen=True, slots=True)
class ImportSource:
    """Provenance of one import, recorded in the ``imports`` table."""

    kind: str  # "boundaries" | "villages" | "models" | "lineage" | "model_types" | "demo"
    file_name: str
    sha256: str


@dataclass
class ImportBatch:
    """Everything one import writes. Frames use the ``domain`` column layouts.

    - ``units`` are upserted on their natural key ``(code, valid_from)``.
    - ``unit_closures`` end a unit's validity: ``(code, valid_from as ISO text, valid_to)``.
    - ``lineage`` rows are upserted on ``(old_code, new_code)``.
    - ``model_types`` are upserted on ``code``; ``models`` on ``model_id``.
    - ``teams`` replace all teams of the models they name (a register row set is whole).
    """

    source: ImportSource
    units: gpd.GeoDataFrame | None = None
    unit_closures: list[tuple[str, str | None, date]] = field(default_factory=list)
    lineage: pd.DataFrame | None = None
    model_types: pd.DataFrame | None = None
    models: pd.DataFrame | None = None
    teams: pd.DataFrame | None = None

    def counts(self) -> dict[str, int]:
        frames = {
            "units": self.units,
            "lineage": self.lineage,
            "model_types": self.model_types,
            "models": self.models,
            "teams": self.teams,
        }
        counts = {name: len(frame) for name, frame in frames.items() if frame is not None}
        if self.unit_closures:
            counts["unit_closures"] = len(self.unit_closures)
        return counts


@dataclass(frozen=True, slots=True)
class UnitQuery:
    """Filters for ``Store.units``. ``as_of`` keeps units valid on that date.

    ``codes`` and ``parent_codes`` may be long (every code of a national import).
    ``with_geometry=False`` leaves the geometry column empty (None), for callers that
    need only the attributes: much cheaper for large reads. ``columns`` narrows the
    attributes further to those named (of ``UNIT_COLUMNS``); the others are left out.
    ``ended=True`` keeps only units that have ended (``valid_to`` set).
    """

    as_of: date | None = None
    level: int | None = None
    parent_code: str | None = None
    codes: tuple[str, ...] | None = None
    bbox: tuple[float, float, float, float] | None = None  # minx, miny, maxx, maxy (lon/lat)
    parent_codes: tuple[str, ...] | None = None
    with_geometry: bool = True
    columns: tuple[str, ...] | None = None
    ended: bool = False


class Store(ABC):
    """Storage backend. Docstrings name the routes and commands that call each method."""

    @abstractmethod
    def apply(self, batch: ImportBatch, expected_generation: int | None = None) -> int:
        """Write ``batch`` in one transaction and record it; return the import id.

        Called by ``pipeline`` for every ``geo-service import …`` and demo load.
        Raises without changing anything if any part of the batch fails: ``StoreFull``,
        ``StoreReadOnly`` or ``StoreBusy`` when the store cannot be written, and
        ``StoreChanged`` when ``expected_generation`` is given and the store's generation,
        read inside the write transaction, is another.
        """

    @abstractmethod
    def generation(self) -> int:
        """A number that changes with every ``apply`` and ``undo`` (0 for a new store).

        An import reads it before it reads anything else, and passes it to ``apply``: a
        concurrent import that wrote in between is then noticed, not written over.
        """

    @abstractmethod
    def exists(self) -> bool:
        """Whether the store has been created (by a first write); reads of one that has
        not answer as an empty store would."""

    @abstractmethod
    def undo(self, import_id: int) -> None:
        """Restore the store to what it was before import ``import_id``, in one transaction.

        Only the latest import that is not yet undone can be undone (later imports may
        build on it). Raises ``LookupError`` for an unknown id and ``ValueError`` otherwise.
        Called by ``geo-service imports undo``.
        """

    @abstractmethod
    def units(self, query: UnitQuery | None = None) -> gpd.GeoDataFrame:
        """Units matching ``query`` (EPSG:4326). Called by ``GET /api/units`` and coverage."""

    def held_codes(self, codes: Iterable[str]) -> set[str]:
        """Those of ``codes`` that name a stored unit, of any date. Called by every import
        (the parent check); backends may answer it more cheaply than ``units``."""
        wanted = tuple(dict.fromkeys(codes))
        query = UnitQuery(codes=wanted, with_geometry=False, columns=("code",))
        return set(self.units(query)["code"])

    @abstractmethod
    def lineage(self) -> pd.DataFrame:
        """Old→new unit links of administrative reforms."""

    @abstractmethod
    def model_types(self) -> pd.DataFrame:
        """The model-type catalogue. Called by ``GET /api/model-types``."""

    @abstractmethod
    def models(self, unit_codes: list[str] | None = None) -> pd.DataFrame:
        """Models, optionally only those set up in ``unit_codes``. ``GET /api/models``."""

    @abstractmethod
    def teams(self, model_ids: list[str] | None = None) -> pd.DataFrame:
        """Teams (sites) of models, optionally only of ``model_ids``."""

    @abstractmethod
    def imports(self) -> pd.DataFrame:
        """The import log: id, at, kind, file_name, sha256, counts (JSON), undone_at."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def is_empty(self) -> bool:
        return self.imports().empty
