"""Villages follow their commune, inside the import that makes it necessary.

``with_carry_forward`` adds to an import batch the village rows that a reform (communes
ending, lineage, successor communes) calls for, reading only the part of the store the
batch can affect: a national import of 80,000 villages under communes that have not
ended reads 10,000 commune rows without geometry and nothing else.

Which villages can an import set moving? Only those under a commune it touches
(``communes_touched``): the parents of its villages, its own communes, the old communes
of the lineage it adds, and the old communes its communes succeed. Every earlier import
carried whatever it could, so the rest of the store has nothing left to carry.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.domain import LINEAGE_COLUMNS, UNIT_COLUMNS, WGS84, Level
from geo_service.hierarchy import carry_villages_forward
from geo_service.imports.changes import canonical, canonical_column
from geo_service.store import ImportBatch, Store, UnitQuery
from geo_service.values import member_of

_GEOMETRY = "geometry"


def with_carry_forward(store: Store, batch: ImportBatch) -> ImportBatch:
    """``batch`` plus the village rows and closures that let villages follow their commune."""
    lineage = store.lineage()
    if batch.lineage is not None:
        lineage = pd.concat([lineage, batch.lineage[LINEAGE_COLUMNS]], ignore_index=True)
    touched = communes_touched(batch.units, batch.lineage, lineage)
    ended = _ended_communes(store, batch.units, touched)
    if not ended:
        return batch
    units = overlay(_units_around(store, ended, lineage, batch.units), batch.units)
    carried = carry_villages_forward(units, lineage)
    if carried.new_rows.empty and not carried.closures:
        return batch
    batch_units, closures = _close_in_batch(batch.units, carried.closures)
    parts = [f for f in (batch_units, carried.new_rows) if f is not None and not f.empty]
    all_units = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry=_GEOMETRY, crs=WGS84)
    return replace(batch, units=all_units, unit_closures=batch.unit_closures + closures)


def _close_in_batch(
    units: gpd.GeoDataFrame | None, closures: list[tuple[str, date | None, date]]
) -> tuple[gpd.GeoDataFrame | None, list[tuple[str, date | None, date]]]:
    """Closures of rows the batch itself brings are made in those rows (their ``valid_to``),
    so that importing a file again compares equal to what the first import stored.
    """
    if units is None or units.empty or not closures:
        return units, closures
    ends: dict[tuple[object, object], date] = {
        (code, canonical(start)): end for code, start, end in closures
    }
    keys = unit_keys(units)
    closed = [ends.get(key) for key in keys]
    if all(end is None for end in closed):
        return units, closures
    valid_to = units["valid_to"].to_numpy(dtype=object).copy()
    for index, end in enumerate(closed):
        if end is not None:
            valid_to[index] = end
    inside = set(keys)
    remaining = [c for c in closures if (c[0], canonical(c[1])) not in inside]
    return units.assign(valid_to=valid_to), remaining


def unit_keys(units: pd.DataFrame) -> list[tuple[object, object]]:
    """Natural keys ``(code, valid_from)`` in canonical form, in row order."""
    codes = canonical_column(units["code"])
    starts = canonical_column(units["valid_from"])
    return list(zip(codes, starts, strict=True))


def overlay(existing: gpd.GeoDataFrame, incoming: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """``existing`` with the rows of ``incoming`` in place of those of the same key, in the
    columns of ``existing`` (which may have been read without some)."""
    if incoming is None or incoming.empty:
        return existing
    replaced = set(unit_keys(incoming))
    keep = np.array([key not in replaced for key in unit_keys(existing)], dtype=bool)
    columns = [column for column in [*UNIT_COLUMNS, _GEOMETRY] if column in existing]
    frame = pd.concat([existing[keep][columns], incoming[columns]], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=_GEOMETRY, crs=WGS84)


def _levels(units: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(units["level"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def communes_touched(
    units: pd.DataFrame | None, lineage_added: pd.DataFrame | None, lineage: pd.DataFrame
) -> set[str]:
    """Commune codes under which an import of ``units`` and ``lineage_added`` may set
    villages moving. ``lineage`` is all lineage, the added rows included.
    """
    touched: set[str] = set()
    if units is not None and not units.empty:
        level = _levels(units)
        touched |= _codes(units.loc[level == Level.VILLAGE, "parent_code"])
        communes = _codes(units.loc[level == Level.COMMUNE, "code"])
        touched |= communes
        touched |= _codes(lineage.loc[member_of(lineage["new_code"], communes), "old_code"])
    if lineage_added is not None:
        touched |= _codes(lineage_added["old_code"])
    return touched


def _codes(values: pd.Series) -> set[str]:
    return {value for value in pd.unique(values.to_numpy(dtype=object)) if isinstance(value, str)}


def _ended_communes(store: Store, units: gpd.GeoDataFrame | None, codes: set[str]) -> set[str]:
    """Those of ``codes`` naming a commune that has ended (in the store or the batch)."""
    if not codes:
        return set()
    # Every ended commune, then those of ``codes``: far fewer rows to read than the
    # communes of a national import, and no long code list for SQL to match.
    ended = store.units(
        UnitQuery(
            level=int(Level.COMMUNE),
            ended=True,
            with_geometry=False,
            columns=("code", "valid_from", "valid_to"),
        )
    )
    stored = ended[member_of(ended["code"], codes)]
    incoming = None if units is None else units[_levels(units) == Level.COMMUNE]
    communes = overlay(stored, incoming)
    return _codes(communes.loc[communes["valid_to"].notna(), "code"]) & codes


def _units_around(
    store: Store, ended: set[str], lineage: pd.DataFrame, units: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """Stored units the carry-forward needs: the ended communes and their successors, and
    every row of every village that has a row under an ended commune (its carried rows
    included, so nothing is carried twice).
    """
    successors = _codes(lineage.loc[member_of(lineage["old_code"], ended), "new_code"])
    communes = store.units(
        UnitQuery(level=int(Level.COMMUNE), codes=tuple(sorted(ended | successors)))
    )
    under = store.units(
        UnitQuery(level=int(Level.VILLAGE), parent_codes=tuple(sorted(ended)), with_geometry=False)
    )
    village_codes = _codes(under["code"])
    if units is not None:
        incoming = units[(_levels(units) == Level.VILLAGE) & member_of(units["parent_code"], ended)]
        village_codes |= _codes(incoming["code"])
    villages = store.units(UnitQuery(level=int(Level.VILLAGE), codes=tuple(sorted(village_codes))))
    frame = pd.concat([communes, villages], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=_GEOMETRY, crs=WGS84)
