"""The GeoPackage store inserts units in bulk and writes their R-tree entries itself: the
R-tree, the standard triggers and the layer extent must be exactly what GDAL expects, also
after a failed write, a replacement and an undo."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from geo_service.store import ImportBatch, ImportSource, UnitQuery, open_store
from tests.store.gpkg_checks import assert_rtree_matches_table, extent, rtree, triggers
from tests.store.samples import COMMUNE_OLD, PROVINCE, VILLAGE, units_frame

SOURCE = ImportSource("boundaries", "speed.gpkg", "0" * 64)


def _units_with_odd_geometries() -> gpd.GeoDataFrame:
    frame = units_frame(
        [
            PROVINCE,
            COMMUNE_OLD,
            VILLAGE,  # no geometry
            VILLAGE | {"code": "09496-002", "geometry": Polygon()},  # empty
            VILLAGE | {"code": "09496-003", "geometry": box(106.21, 21.01, 106.22, 21.02)},
        ]
    )
    return frame


def test_bulk_insert_keeps_rtree_triggers_and_extent_standard(tmp_path: Path) -> None:
    path = tmp_path / "bulk.gpkg"
    store = open_store(str(path))
    fresh = tmp_path / "fresh.gpkg"  # a store is created by its first write
    open_store(str(fresh)).apply(ImportBatch(SOURCE))
    fresh_triggers = triggers(fresh)
    store.apply(ImportBatch(SOURCE, units=_units_with_odd_geometries()))
    assert_rtree_matches_table(path)
    assert triggers(path) == fresh_triggers
    assert extent(path) == (105.9, 20.9, 106.3, 21.3)
    # the province shrinks: replacing a row must shrink the extent, not just grow it
    smaller = units_frame([PROVINCE | {"geometry": box(106.0, 21.0, 106.3, 21.3)}])
    replaced = store.apply(ImportBatch(SOURCE, units=smaller))
    assert_rtree_matches_table(path)
    assert extent(path) == (106.0, 21.0, 106.3, 21.3)
    store.undo(replaced)
    assert_rtree_matches_table(path)
    assert extent(path) == (105.9, 20.9, 106.3, 21.3)
    bbox = store.units(UnitQuery(bbox=(106.215, 21.015, 106.216, 21.016)))
    assert sorted(bbox["code"]) == ["09496", "09496-003", "27"]


def test_rows_written_later_by_gdal_are_indexed_by_the_restored_trigger(tmp_path: Path) -> None:
    path = tmp_path / "gdal.gpkg"
    store = open_store(str(path))
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    added = gpd.GeoDataFrame(
        {"code": ["X1"], "name": ["Thôn X"], "unit_type": ["thon"], "level": [4]}
        | {"geometry_quality": ["surveyed"]},
        geometry=[MultiPolygon([box(1, 2, 3, 4)])],
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(added, path, layer="units", append=True)
    assert_rtree_matches_table(path)
    assert pyogrio.read_dataframe(path, layer="units", bbox=(1.5, 2.5, 2, 3))["code"].tolist() == [
        "X1"
    ]


def test_a_failed_bulk_write_leaves_rtree_and_triggers_untouched(tmp_path: Path) -> None:
    path = tmp_path / "failed.gpkg"
    store = open_store(str(path))
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    before = (rtree(path), triggers(path), extent(path), store.units())
    # name and code are NOT NULL: each fails mid-insert (a missing code also in code order)
    for broken in (
        units_frame([COMMUNE_OLD, COMMUNE_OLD | {"code": "09497", "name": None}]),
        units_frame([COMMUNE_OLD | {"code": "09499"}, COMMUNE_OLD | {"code": None}]),
    ):
        with pytest.raises(sqlite3.IntegrityError):
            store.apply(ImportBatch(SOURCE, units=broken))
    assert (rtree(path), triggers(path), extent(path)) == before[:3]
    pd.testing.assert_frame_equal(store.units(), before[3])
