"""Bulk writes for the GeoPackage store: whole columns at a time.

A national import writes 80,000 units. Rather than converting values one by one and
letting the standard R-tree trigger call the ``ST_*`` functions (Python callbacks) five
times per row, every column is converted with array operations, the units go in with
statements of a few hundred rows each, and their R-tree entries are inserted directly from
the bounds computed while encoding (for a large batch the whole tree is packed at once,
see ``gpkg_rtree``). The insert trigger is dropped for those statements and recreated
before the transaction commits, so any other reader (GDAL, QGIS) only ever sees the
standard triggers and an R-tree that matches the table.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo_service.domain import UNIT_COLUMNS, as_multipolygons
from geo_service.store import gpkg_geometry, gpkg_rtree
from geo_service.store.sqlite_bulk import insert_rows
from geo_service.values import iso_column, plain

RTREE_INSERT_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS rtree_units_geom_insert AFTER INSERT ON units
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_units_geom VALUES (NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
"""
BULK_RTREE_MIN = 1000  # fewer new entries than this are always inserted one by one


def site_points(teams: pd.DataFrame) -> list[bytearray | None]:
    """GPKG point blobs of the sites' ``lon``/``lat`` (None where a site has no point)."""
    lon = pd.to_numeric(teams["lon"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lat = pd.to_numeric(teams["lat"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    points = np.full(len(teams), None, dtype=object)
    located = np.isfinite(lon) & np.isfinite(lat)
    points[located] = shapely.points(lon[located], lat[located])
    blobs, _ = gpkg_geometry.encode_with_bounds(points)
    return blobs


def sql_value(value: Any) -> Any:
    """Python/pandas value -> SQLite value (missing -> NULL, dates -> ISO, dicts -> JSON)."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return plain(value)


def sql_column(values: pd.Series, missing_number: float | None = None) -> list[Any]:
    """``sql_value`` of every value of a column; numbers and text without a call per value.

    ``missing_number`` stands for a missing value in a numeric column: NaN binds faster
    than None (pysqlite looks for an adapter for None, not for a float) and SQLite stores
    a NaN as NULL, so a bulk insert passes NaN.
    """
    if isinstance(values.dtype, pd.StringDtype):  # text by construction: no checks needed
        text: list[Any] = values.array.to_numpy(dtype=object, na_value=None).tolist()
        return text
    numeric = pd.api.types.is_numeric_dtype(values.dtype)
    if pd.api.types.is_signed_integer_dtype(values.dtype):  # Int64 & co, maybe with NA
        missing = values.isna().to_numpy()
        whole: list[Any] = values.to_numpy(dtype="int64", na_value=0).tolist()
        for index in np.flatnonzero(missing).tolist():
            whole[index] = missing_number
        return whole
    array = values.to_numpy(dtype=object)
    missing = pd.isna(array)
    if missing.any():
        array = array.copy()
        array[missing] = missing_number if numeric else None
    if numeric:
        return list(array)  # numpy's object cast gives Python int/float/bool
    kind = pd.api.types.infer_dtype(array[~missing], skipna=False)
    if kind in ("string", "empty"):
        return list(array)
    if kind == "date":  # ISO text, converted once per distinct day
        days: list[Any] = iso_column(array).tolist()
        return days
    return [sql_value(value) for value in array]


def sql_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    return [sql_column(frame[column]) for column in columns]


def insert_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    """``sql_columns`` for ``insert_rows``: a missing number is NaN, which binds faster."""
    return [sql_column(frame[c], math.nan) for c in columns]


def insert_units(
    connection: sqlite3.Connection, units: gpd.GeoDataFrame, import_id: int
) -> NDArray[np.float64]:
    """Insert ``units`` with their R-tree entries; return their (minx, maxx, miny, maxy)."""
    units = _in_code_order(units)
    geometry = as_multipolygons(units.geometry.values)
    blobs, bounds = gpkg_geometry.encode_with_bounds(geometry)
    first = _next_fid(connection)
    fids = np.arange(first, first + len(units), dtype=np.int64)
    indexed = ~np.isnan(bounds).any(axis=1)
    columns = insert_columns(units, UNIT_COLUMNS)
    connection.execute("DROP TRIGGER IF EXISTS rtree_units_geom_insert")
    tree = _packed_tree(connection, fids[indexed], bounds[indexed])
    insert_rows(
        connection,
        f"INSERT INTO units (fid, geom, {', '.join(UNIT_COLUMNS)}, import_id)",
        [fids.tolist(), blobs, *columns, [import_id] * len(units)],
    )
    if tree is None:
        connection.executemany(
            "INSERT INTO rtree_units_geom VALUES (?, ?, ?, ?, ?)",
            zip(fids[indexed].tolist(), *bounds[indexed].T.tolist(), strict=True),
        )
    else:
        gpkg_rtree.write(connection, "rtree_units_geom", tree)
    connection.execute(RTREE_INSERT_TRIGGER)
    return bounds[indexed]


def _in_code_order(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``units`` sorted by code (fids follow): each new entry of the code index then lands
    at its right edge. In file order, when the file is not sorted by code, every entry
    lands on a random page of the index, and a shuffled national file takes several times
    as long to insert."""
    codes = units["code"]
    if codes.is_monotonic_increasing:
        return units
    return units.iloc[np.asarray(codes.array.argsort(kind="stable"))]


def _packed_tree(
    connection: sqlite3.Connection,
    fids: NDArray[np.int64],
    bounds: NDArray[np.float64],
) -> gpkg_rtree.PackedTree | None:
    """The whole R-tree with these entries added, packed; None when they are better
    inserted one by one.

    Packing the whole tree costs about a third of inserting an entry per entry held, so it
    pays once the new entries are at least half as many as those already there.
    """
    (held,) = connection.execute("SELECT count(*) FROM rtree_units_geom_rowid").fetchone()
    if len(fids) < BULK_RTREE_MIN or 2 * len(fids) < held:
        return None
    old_ids, old_boxes = gpkg_rtree.entries(connection, "rtree_units_geom")
    return gpkg_rtree.pack(
        np.concatenate([old_ids, fids]),
        np.concatenate([old_boxes, gpkg_rtree.as_stored(bounds)]),
        gpkg_rtree.node_size(connection, "rtree_units_geom"),
    )


def _next_fid(connection: sqlite3.Connection) -> int:
    """The fid AUTOINCREMENT would give the next row (never one used before)."""
    (fid,) = connection.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'units'), 0), "
        "coalesce((SELECT max(fid) FROM units), 0)) + 1"
    ).fetchone()
    return int(fid)


def update_extent(connection: sqlite3.Connection, added: NDArray[np.float64] | None) -> None:
    """Set the layer's extent in ``gpkg_contents`` (and its last_change).

    ``added`` are the bounds of rows an insert-only write added: the extent grows to cover
    them. With None (rows were replaced or removed) it is computed from every geometry.
    """
    current = connection.execute(
        "SELECT min_x, max_x, min_y, max_y FROM gpkg_contents WHERE table_name = 'units'"
    ).fetchone()
    extent: tuple[float | None, ...]
    if added is not None and current is not None and None not in current:
        if len(added):
            extent = (
                min(current[0], float(added[:, 0].min())),
                max(current[1], float(added[:, 1].max())),
                min(current[2], float(added[:, 2].min())),
                max(current[3], float(added[:, 3].max())),
            )
        else:
            extent = tuple(current)
    else:
        blobs = [row[0] for row in connection.execute("SELECT geom FROM units WHERE geom NOT NULL")]
        extent = gpkg_geometry.extent(blobs) or (None, None, None, None)
    connection.execute(
        "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
        "min_x = ?, max_x = ?, min_y = ?, max_y = ? WHERE table_name = 'units'",
        extent,
    )
