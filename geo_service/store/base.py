"""The one storage interface. Every backend passes the same contract suite (tests/store/).

Bulk reads return (Geo)DataFrames with the columns listed in ``geo_service.domain``;
every write goes through ``apply()``, which is a single transaction: an import either
lands whole or leaves the store exactly as it was. Opening a store writes nothing: a store
that does not exist yet reads as empty and is created by its first write.

Values cross the interface as Python and pandas values, never in a backend's storage
form: dates (``valid_from``, ``valid_to``, ``effective``, ``until``, ``launch_date``,
``ended_on``) are
``datetime.date`` or None, times of the import log are timezone-aware ``datetime`` in
UTC, counts are nullable ``Int64`` columns, a model's ``extra`` figures and an import's
``counts`` are dicts, ``counts_as_model`` is a bool, unit geometry is shapely
MultiPolygons (or None) in EPSG:4326, and a site's point is its ``lon``/``lat`` (float64
in EPSG:4326, NaN when it has none; a backend keeps it as a point geometry that GIS tools
read). How a backend encodes any of them is its own business.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo_service.domain import UNIT_COLUMNS
from geo_service.values import as_date, date_column

# Date columns of the frames a batch carries and the reads return.
DATE_COLUMNS = {
    "units": ("valid_from", "valid_to"),
    "lineage": ("effective",),
    "former_names": ("until",),
    "models": ("launch_date", "ended_on"),
}
_Frame = TypeVar("_Frame", bound=pd.DataFrame)
# How units are ordered unless a query says otherwise.
UNIT_ORDER = ("level", "code", "valid_from")


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

    # "boundaries" | "villages" | "models" | "lineage" | "former_names" | "model_types" | "demo"
    kind: str
    file_name: str
    sha256: str
    # What the log must say besides the counts: rows left out on purpose and why
    notes: tuple[str, ...] = ()


@dataclass
class ImportBatch:
    """Everything one import writes. Frames use the ``domain`` column layouts.

    - ``units`` are upserted on their natural key ``(code, valid_from)``.
    - ``unit_closures`` end a unit's validity: ``(code, valid_from, valid_to)``.
    - ``lineage`` rows are upserted on ``(old_code, new_code)``; ``former_names`` on
      ``(code, name)``.
    - ``model_types`` are upserted on ``code`` (a frame without ``aliases`` has none);
      ``models`` on ``model_id``.
    - ``teams`` replace all teams of the models they name (a register row set is whole).

    Dates given as ISO text or timestamps are held as ``datetime.date`` from the start,
    so every backend receives one form whichever reader made the frame.
    """

    source: ImportSource
    units: gpd.GeoDataFrame | None = None
    unit_closures: list[tuple[str, date | None, date]] = field(default_factory=list)
    lineage: pd.DataFrame | None = None
    former_names: pd.DataFrame | None = None
    model_types: pd.DataFrame | None = None
    models: pd.DataFrame | None = None
    teams: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.units is not None:
            self.units = with_dates(self.units, DATE_COLUMNS["units"])
        if self.lineage is not None:
            self.lineage = with_dates(self.lineage, DATE_COLUMNS["lineage"])
        if self.former_names is not None:
            self.former_names = with_dates(self.former_names, DATE_COLUMNS["former_names"])
        if self.models is not None:
            self.models = with_dates(self.models, DATE_COLUMNS["models"])
        if self.model_types is not None and "aliases" not in self.model_types:
            self.model_types = self.model_types.assign(aliases="")
        self.unit_closures = [
            (code, as_date(start), _day(as_date(end))) for code, start, end in self.unit_closures
        ]

    def counts(self) -> dict[str, int]:
        frames = {
            "units": self.units,
            "lineage": self.lineage,
            "former_names": self.former_names,
            "model_types": self.model_types,
            "models": self.models,
            "teams": self.teams,
        }
        counts = {name: len(frame) for name, frame in frames.items() if frame is not None}
        if self.unit_closures:
            counts["unit_closures"] = len(self.unit_closures)
        return counts


def with_dates(frame: _Frame, columns: Iterable[str]) -> _Frame:
    """``frame`` with those of the date ``columns`` it has as ``datetime.date`` (or None)."""
    present = [column for column in columns if column in frame.columns]
    if not present:
        return frame
    dated = frame.copy(deep=False)
    for column in present:
        dated[column] = pd.Series(date_column(frame[column]), index=frame.index, dtype=object)
    return dated


def _day(value: date | None) -> date:
    if value is None:
        raise ValueError("a unit closure needs the day the unit ends")
    return value


@dataclass(frozen=True, slots=True)
class UnitQuery:
    """Filters, order, paging and projection for ``Store.units``.

    Filters: ``as_of`` keeps units valid on that date; ``level``, ``parent_code``;
    ``codes`` and ``parent_codes``, which may be long (every code of a national import);
    ``bbox`` (minx, miny, maxx, maxy in lon/lat) keeps units whose bounding box meets it;
    ``ended=True`` keeps only units that have ended (``valid_to`` set).

    Projection: ``with_geometry=False`` leaves the geometry column empty (None), for
    callers that need only the attributes: much cheaper for large reads. ``columns``
    narrows the attributes to those named (of ``UNIT_COLUMNS``, kept in that order).

    Order: ``order`` names columns of ``UNIT_COLUMNS``, a leading ``-`` for descending.
    Missing values come first in ascending order and last in descending order, text is
    compared by code point, and ties are broken by ``(code, valid_from)``, so that pages
    never overlap. Paging: ``offset`` rows are skipped, then at most ``limit`` returned.
    Order and paging may use columns the projection leaves out.
    """

    as_of: date | None = None
    level: int | None = None
    parent_code: str | None = None
    codes: tuple[str, ...] | None = None
    bbox: tuple[float, float, float, float] | None = None
    parent_codes: tuple[str, ...] | None = None
    with_geometry: bool = True
    columns: tuple[str, ...] | None = None
    ended: bool = False
    order: tuple[str, ...] = UNIT_ORDER
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        named = [*(self.columns or ()), *(column.removeprefix("-") for column in self.order)]
        unknown = sorted(set(named) - set(UNIT_COLUMNS))
        if unknown:
            raise ValueError(f"no unit column {unknown}")
        if (self.limit is not None and self.limit < 0) or self.offset < 0:
            raise ValueError(f"limit and offset must not be negative ({self.limit}, {self.offset})")

    def selected_columns(self) -> list[str]:
        """The attribute columns a read returns, in ``UNIT_COLUMNS`` order."""
        if self.columns is None:
            return list(UNIT_COLUMNS)
        return [column for column in UNIT_COLUMNS if column in self.columns]

    def sort_keys(self) -> list[tuple[str, bool]]:
        """(column, descending) in order, completed by the natural key."""
        keys = [(column.removeprefix("-"), column.startswith("-")) for column in self.order]
        named = {column for column, _ in keys}
        return keys + [(column, False) for column in ("code", "valid_from") if column not in named]


class Store(ABC):
    """Storage backend. Docstrings name the routes and commands that call each method."""

    def bbox_bounds(self, bounds: NDArray[np.float64]) -> NDArray[np.float64]:
        """``bounds`` (one row per geometry: west, south, east, north) as ``UnitQuery.bbox``
        compares them: a unit is found by a bbox that meets these. Exact here; a backend
        whose spatial index holds rounded boxes returns them rounded the same way.

        Called by ``coverage.reads.no_data_areas_of``, which keeps the communes' boxes to
        pick a request's no-data areas without reading the store again.
        """
        return bounds

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
        """Units matching ``query`` (EPSG:4326), in its order, one page of them when it
        has a limit or an offset. Called by ``GET /api/units``, coverage and every import."""

    @abstractmethod
    def count_units(self, query: UnitQuery | None = None) -> int:
        """How many units match the filters of ``query`` (its order, paging and projection
        aside): the total of which ``units`` returns one page. ``GET /api/units``."""

    def held_codes(self, codes: Iterable[str]) -> set[str]:
        """Those of ``codes`` that name a stored unit, of any date. Called by every import
        (the parent check); backends may answer it more cheaply than ``units``."""
        wanted = tuple(dict.fromkeys(codes))
        query = UnitQuery(codes=wanted, with_geometry=False, columns=("code",))
        return set(self.units(query)["code"])

    @abstractmethod
    def lineage(self) -> pd.DataFrame:
        """Old→new unit links of administrative reforms, by old_code and new_code."""

    @abstractmethod
    def former_names(self) -> pd.DataFrame:
        """Names units had before a rename (``FORMER_NAME_COLUMNS``), by code and name.
        Register matching offers the unit that carries the code now for them."""

    @abstractmethod
    def model_types(self) -> pd.DataFrame:
        """The model-type catalogue, in the order it was written. ``GET /api/model-types``."""

    @abstractmethod
    def models(
        self, unit_codes: Sequence[str] | None = None, model_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Models by model_id; only those set up in ``unit_codes`` and only those of
        ``model_ids``, when given. ``GET /api/models``, coverage."""

    @abstractmethod
    def teams(
        self, model_ids: Sequence[str] | None = None, unit_codes: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Teams (sites) of models by team_id; only those of ``model_ids`` and only those
        placed in ``unit_codes``, when given. Coverage of a subtree reads its sites so.
        A site's ``lon``/``lat`` are its point (NaN without one): never public unless the
        camera layer's setting allows it."""

    @abstractmethod
    def imports(self) -> pd.DataFrame:
        """The import log, oldest first: id, at, kind, file_name, sha256, counts (a dict of
        rows written per table), undone_at (None while the import stands), notes (a list of
        texts: the rows an import left out on purpose, and why)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def is_empty(self) -> bool:
        return self.imports().empty
