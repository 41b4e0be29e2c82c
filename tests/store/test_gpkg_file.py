"""The embedded store's file is a GeoPackage that GDAL (and so QGIS) opens as-is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyogrio

from geo_service.store import ImportBatch, open_store
from tests.store.samples import COMMUNE_OLD, PROVINCE, SOURCE, VILLAGE, units_frame


def test_gdal_reads_layers_geometry_and_spatial_index(tmp_path: Path) -> None:
    path = tmp_path / "qgis.gpkg"
    store = open_store(str(path))
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    layers = dict(pyogrio.list_layers(path))
    assert layers["units"] == "MultiPolygon"
    assert {"models", "teams", "lineage", "model_types", "imports"} <= set(layers)
    info = pyogrio.read_info(path, layer="units")
    assert info["crs"] == "EPSG:4326"
    assert info["features"] == 3
    assert info["capabilities"]["fast_spatial_filter"]  # GDAL found the R-tree
    frame = pyogrio.read_dataframe(path, layer="units", bbox=(106.21, 21.01, 106.22, 21.02))
    assert sorted(frame["code"]) == ["09496", "27"]
    assert "Thị trấn Thứa" in set(frame["name"])


def test_file_passes_sqlite_integrity_and_gpkg_identity(tmp_path: Path) -> None:
    path = tmp_path / "check.gpkg"
    store = open_store(str(path))
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA application_id").fetchone() == (0x47504B47,)
        extent = connection.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name='units'"
        ).fetchone()
    assert extent == (105.9, 20.9, 106.3, 21.3)
