"""A register kept as a point layer (issue 13, item 6): GeoJSON, GeoPackage, KML/KMZ or a
zipped Shapefile whose features are rows and whose points are the sites' points."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS, Transformer

from geo_service.imports.pipeline import import_models
from geo_service.ingest.crs import vn2000_pipeline
from geo_service.ingest.report import ImportRejected
from geo_service.store import Store
from tests.camera_sites import THON_1, THON_4
from tests.layer_files import write_layer

FORMATS = [".geojson", ".gpkg", ".zip", ".kml", ".kmz"]


def cameras(points: list[tuple[float, float] | None], crs: str | int = 4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "model_id": ["CAM-L"] * len(points),
            "type": ["security_camera"] * len(points),
            "Mã xã": ["07057"] * len(points),
            "team": [f"Camera {i + 1}" for i in range(len(points))],
        },
        geometry=[None if p is None else shapely.Point(p) for p in points],
        crs=crs,
    )


def write(frame: gpd.GeoDataFrame, folder: Path, suffix: str) -> Path:
    """The layer as a commune's GIS or Google Earth writes it."""
    return write_layer(frame, folder, "cameras", suffix)


@pytest.mark.parametrize("suffix", FORMATS)
def test_each_format_places_its_points(demo_store: Store, tmp_path: Path, suffix: str) -> None:
    path = write(cameras([THON_1, THON_4]), tmp_path, suffix)
    import_models(demo_store, path)
    sites = demo_store.teams(model_ids=["CAM-L"])
    assert sites["unit_code"].tolist() == ["07057-001", "07057-004"]
    assert sites["lon"].round(6).tolist() == [round(THON_1[0], 6), round(THON_4[0], 6)]
    assert sites["cameras"].tolist() == [1, 1]


def test_a_vn2000_layer_goes_through_the_datum_shift(demo_store: Store, tmp_path: Path) -> None:
    pipeline = Transformer.from_pipeline(vn2000_pipeline(CRS.from_epsg(9210).to_wkt()))
    metres = [pipeline.transform(*point, direction="INVERSE") for point in (THON_1, THON_4)]
    import_models(demo_store, write(cameras(metres, crs=9210), tmp_path, ".gpkg"))
    sites = demo_store.teams(model_ids=["CAM-L"])
    assert sites["unit_code"].tolist() == ["07057-001", "07057-004"]
    assert abs(sites["lon"].iloc[0] - THON_1[0]) < 1e-6


def test_a_feature_without_a_point_is_a_site_without_one(demo_store: Store, tmp_path: Path) -> None:
    import_models(demo_store, write(cameras([THON_1, None]), tmp_path, ".geojson"))
    sites = demo_store.teams(model_ids=["CAM-L"])
    assert sites["lon"].isna().tolist() == [False, True]
    assert sites["unit_code"].tolist() == ["07057-001", "07057"]  # commune-wide, as before


def test_bad_points_are_named_by_feature(demo_store: Store, tmp_path: Path) -> None:
    elsewhere = (106.221741 + 0.001, 21.028263)  # in Thị trấn Thứa, not Bằng Cả
    path = write(cameras([THON_1, elsewhere]), tmp_path, ".geojson")
    with pytest.raises(ImportRejected) as caught:
        import_models(demo_store, path)
    (error,) = [str(problem) for problem in caught.value.report.errors]
    assert "cameras.geojson, row 2" in error and "not in" in error
    (tmp_path / "s").mkdir()
    swapped = write(cameras([(THON_1[1], THON_1[0])]), tmp_path / "s", ".geojson")
    with pytest.raises(ImportRejected) as caught:
        import_models(demo_store, swapped)
    assert "swapped" in str(caught.value.report.errors[0])
    assert demo_store.teams(model_ids=["CAM-L"]).empty
