"""Checks of a GeoPackage store's file, read with SQLite and GDAL: its R-tree, triggers and
extent are what GDAL (and QGIS) expect."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyogrio
import shapely


def rtree(path: Path) -> dict[int, tuple[float, float, float, float]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT id, minx, maxx, miny, maxy FROM rtree_units_geom")
        return {row[0]: row[1:] for row in rows}


def geometries(path: Path) -> dict[int, shapely.Geometry]:
    frame = pyogrio.read_dataframe(path, layer="units", fid_as_index=True)
    return {int(fid): geometry for fid, geometry in frame.geometry.items()}


def triggers(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        return dict(rows.fetchall())


def extent(path: Path) -> tuple[float, float, float, float]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'units'"
        ).fetchone()


def assert_rtree_matches_table(path: Path) -> None:
    """One entry per non-empty geometry, covering it (the R-tree stores 32-bit floats)."""
    entries, stored = rtree(path), geometries(path)
    indexed = {fid for fid, g in stored.items() if g is not None and not g.is_empty}
    assert set(entries) == indexed
    for fid in indexed:
        minx, miny, maxx, maxy = stored[fid].bounds
        low_x, high_x, low_y, high_y = entries[fid]
        assert low_x <= minx and high_x >= maxx and low_y <= miny and high_y >= maxy
        assert max(minx - low_x, high_x - maxx, miny - low_y, high_y - maxy) < 1e-4
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT rtreecheck('rtree_units_geom')").fetchone() == ("ok",)
