"""The embedded store's file is a GeoPackage that GDAL (and so QGIS) opens as-is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pyogrio

from geo_service.store import ImportBatch, open_store
from tests.store.samples import (
    COMMUNE_OLD,
    PROVINCE,
    SOURCE,
    VILLAGE,
    models_frame,
    teams_frame,
    units_frame,
)

FORMER = {"code": "15772", "name": "Thị trấn Vạn Hà", "until": None, "source": "SOURCES.md"}
LATER = {"code": "09496", "name": "Xã Cũ", "until": None, "source": "test.geojson"}


def test_gdal_reads_layers_geometry_and_spatial_index(tmp_path: Path) -> None:
    path = tmp_path / "qgis.gpkg"
    store = open_store(str(path))
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    layers = dict(pyogrio.list_layers(path))
    assert layers["units"] == "MultiPolygon"
    assert {"models", "teams", "lineage", "model_types", "imports", "former_names"} <= set(layers)
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


def test_sites_are_a_point_layer_gdal_reads(tmp_path: Path) -> None:
    path = tmp_path / "sites.gpkg"
    store = open_store(str(path))
    model = {"model_id": "M1", "type_code": "security_camera", "name": "C", "unit_code": "09496"}
    sites = [
        {
            "team_id": "M1/001",
            "model_id": "M1",
            "unit_code": "09496-001",
            "lon": 106.2,
            "lat": 21.0,
        },
        {"team_id": "M1/002", "model_id": "M1", "unit_code": "09496"},
    ]
    store.apply(ImportBatch(SOURCE, models=models_frame([model]), teams=teams_frame(sites)))
    assert dict(pyogrio.list_layers(path))["teams"] == "Point"
    frame = pyogrio.read_dataframe(path, layer="teams")
    assert frame.crs == "EPSG:4326"
    placed = frame.set_index("team_id").geometry
    assert (placed["M1/001"].x, placed["M1/001"].y) == (106.2, 21.0)
    assert placed["M1/002"] is None


def test_a_file_made_before_sites_had_points_gets_them_on_its_next_write(tmp_path: Path) -> None:
    path = tmp_path / "old.gpkg"
    store = open_store(str(path))
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    with sqlite3.connect(path) as connection:  # as the schema was before site points
        connection.execute("DROP TABLE teams")
        connection.execute(
            "CREATE TABLE teams (fid INTEGER PRIMARY KEY AUTOINCREMENT, team_id TEXT NOT NULL "
            "UNIQUE, model_id TEXT NOT NULL, unit_code TEXT NOT NULL, name TEXT, members "
            "INTEGER, households INTEGER, cameras INTEGER, leader_role TEXT, import_id INTEGER)"
        )
        connection.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = 'teams'")
        connection.execute(
            "UPDATE gpkg_contents SET data_type = 'attributes', srs_id = NULL "
            "WHERE table_name = 'teams'"
        )
        connection.execute(
            "INSERT INTO teams (team_id, model_id, unit_code) VALUES ('M0/001', 'M0', '27')"
        )
    assert store.teams()["lon"].isna().all()  # read as it is, nothing written
    site = {"team_id": "M1/001", "model_id": "M1", "unit_code": "27", "lon": 106.0, "lat": 21.0}
    store.apply(ImportBatch(SOURCE, teams=teams_frame([site])))
    assert store.teams().set_index("team_id").loc["M1/001", "lon"] == 106.0
    assert dict(pyogrio.list_layers(path))["teams"] == "Point"


def test_a_store_made_before_aliases_and_notes_is_read_and_completed(tmp_path: Path) -> None:
    path = tmp_path / "old.gpkg"
    store = open_store(str(path))
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    with sqlite3.connect(path) as connection:  # as an older version made it
        connection.execute("ALTER TABLE model_types DROP COLUMN aliases")
        connection.execute("ALTER TABLE imports DROP COLUMN notes")
    assert store.imports()["notes"].tolist() == [[]]
    assert "aliases" in store.model_types().columns
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD])))  # completes the file
    with sqlite3.connect(path) as connection:
        held = {row[1] for row in connection.execute("PRAGMA table_info(model_types)")}
    assert "aliases" in held and store.imports()["notes"].tolist() == [[], []]


def test_a_file_made_before_former_names_reads_none(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "old.gpkg"))
    store.apply(ImportBatch(SOURCE, former_names=pd.DataFrame([FORMER])))
    with sqlite3.connect(tmp_path / "old.gpkg") as connection:
        connection.execute("DROP TABLE former_names")
    assert store.former_names().empty
    store.apply(ImportBatch(SOURCE, former_names=pd.DataFrame([LATER])))  # made by a write
    assert store.former_names()["name"].tolist() == ["Xã Cũ"]
