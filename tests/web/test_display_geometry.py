"""One very detailed village never weighs down the map (issue 10, item 12, second half).

A village surveyed to 200,000 vertices (a 450 m circle traced every 1.4 cm, with a metre
of noise) is written into a copy of the demo through the store's ``apply``. The map page
(``GET /`` at every scope: a shell whose features come from ``/api/map/features``, and the
``geo-service map`` file) draws it simplified to the view, valid and true to its shape, in
a bounded number of bytes; the API download keeps every vertex. Before the fix each page
carried all of them: 5 MB per page.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape
from typer.testing import CliRunner

from geo_service.app import create_app
from geo_service.cli.main import app as cli
from geo_service.domain import UNIT_COLUMNS
from geo_service.output.geometry import (
    DISPLAY_VERTEX_LIMIT,
    METRES_PER_DEGREE,
    display_geometries,
    display_tolerance,
)
from geo_service.settings import Settings
from geo_service.store import ImportBatch, ImportSource, UnitQuery, open_store
from tests.geojson_check import assert_rfc7946, embedded_collections

BEFORE = "2025-06-30"
DETAILED = "09496-900"
VERTICES = 200_000
# What the one village may add to a page: its simplified outline, popup and tooltip.
PAGE_GROWTH_LIMIT = 200_000  # bytes


def detailed_village(centre: shapely.Point) -> shapely.Polygon:
    """A circle of ~450 m traced by ``VERTICES`` points, each off by up to a metre."""
    angles = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    radius = 0.004 + np.random.default_rng(7).uniform(-1, 1, VERTICES) / METRES_PER_DEGREE
    squeeze = np.cos(np.radians(centre.y))  # a degree of longitude is shorter
    ring = np.c_[centre.x + radius * np.cos(angles) / squeeze, centre.y + radius * np.sin(angles)]
    return shapely.Polygon(ring)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, demo_gpkg: Path) -> tuple[Path, Path]:
    """(the demo as it is, the demo with the detailed village in Thị trấn Thứa)."""
    folder = tmp_path_factory.mktemp("detailed")
    plain, detailed = folder / "plain.gpkg", folder / "detailed.gpkg"
    shutil.copy(demo_gpkg, plain)
    shutil.copy(demo_gpkg, detailed)
    store = open_store(str(detailed))
    thua = store.units(UnitQuery(codes=("09496",), as_of=date.fromisoformat(BEFORE)))
    village = detailed_village(thua.geometry.iloc[0].centroid)
    assert village.is_valid and shapely.get_num_coordinates(village) == VERTICES + 1
    row: dict[str, Any] = dict.fromkeys(UNIT_COLUMNS) | {
        "code": DETAILED,
        "name": "Thôn Đo Đạc Kỹ",
        "unit_type": "thon",
        "level": 4,
        "parent_code": "09496",
        "geometry_quality": "surveyed",
        "source": "test",
    }
    units = gpd.GeoDataFrame(pd.DataFrame([row])[UNIT_COLUMNS], geometry=[village], crs=4326)
    store.apply(ImportBatch(ImportSource("boundaries", "detailed.geojson", "0" * 64), units=units))
    return plain, detailed


def drawn_village(html: str) -> shapely.Geometry:
    for collection in embedded_collections(html):
        for feature in collection["features"]:
            if feature["properties"]["code"] == DETAILED and "popup" in feature["properties"]:
                return shape(feature["geometry"])
    raise AssertionError("the detailed village is not drawn")


def near(one: shapely.Geometry, other: shapely.Geometry, distance: float) -> bool:
    """Every vertex of ``one`` lies within ``distance`` of ``other``'s boundary (a
    Hausdorff distance of 200,000 by 3,000 vertices would take seconds)."""
    boundary = other.boundary
    shapely.prepare(boundary)
    vertices = shapely.points(shapely.get_coordinates(one))
    return bool(shapely.dwithin(boundary, vertices, distance).all())


@pytest.mark.parametrize("unit", [None, "264", "09496", DETAILED])
def test_the_map_page_stays_small_whatever_the_village_weighs(
    stores: tuple[Path, Path], unit: str | None
) -> None:
    plain, detailed = stores
    params = {"as_of": BEFORE} | ({"unit": unit} if unit else {})
    with TestClient(create_app(Settings(store_path=detailed))) as client:
        page = client.get("/", params=params)
    assert page.status_code == 200
    assert len(page.content) < 1_000_000
    if unit != DETAILED:  # the plain demo has no such unit to focus on
        with TestClient(create_app(Settings(store_path=plain))) as client:
            baseline = client.get("/", params=params)
        assert len(page.content) - len(baseline.content) < PAGE_GROWTH_LIMIT
    assert embedded_collections(page.text) == []  # the page fetches its features


@pytest.mark.parametrize("unit", ["09496", DETAILED])
def test_the_map_data_draws_the_village_true_to_its_shape(
    stores: tuple[Path, Path], unit: str
) -> None:
    _, detailed = stores
    shown = open_store(str(detailed)).units(
        UnitQuery(as_of=date.fromisoformat(BEFORE), codes=(unit,))
    )
    west, south, east, north = (float(v) for v in shown.total_bounds)
    box = f"{west},{south},{east},{north}"
    with TestClient(create_app(Settings(store_path=detailed))) as client:
        params = {"bbox": box, "level": 4, "as_of": BEFORE}
        response = client.get("/api/map/features", params=params)
    assert response.status_code == 200
    assert len(response.content) < PAGE_GROWTH_LIMIT + 100_000
    collection = response.json()
    assert_rfc7946(collection, "map data")
    (feature,) = [f for f in collection["features"] if f["properties"]["code"] == DETAILED]
    drawn = shape(feature["geometry"])
    full = open_store(str(detailed)).units(UnitQuery(codes=(DETAILED,))).geometry.iloc[0]
    assert drawn.is_valid
    assert shapely.get_num_coordinates(drawn) <= DISPLAY_VERTEX_LIMIT
    # Drawn within the view's tolerance (a quarter pixel as the page opens), or, where
    # that would keep too many vertices, within the village's metre of noise.
    allowed = max(display_tolerance((west, south, east, north)), 3 / METRES_PER_DEGREE)
    assert near(drawn, full, allowed) and near(full, drawn, allowed)
    assert abs(drawn.area / full.area - 1) < 0.01


def test_the_map_file_stays_small(stores: tuple[Path, Path], tmp_path: Path) -> None:
    _, detailed = stores
    output = tmp_path / "thua.html"
    result = CliRunner().invoke(
        cli,
        ["map", "--store", str(detailed), "--unit", "09496", "--as-of", BEFORE, "-o", str(output)],
    )
    assert result.exit_code == 0, result.output
    assert output.stat().st_size < 1_000_000
    assert drawn_village(output.read_text(encoding="utf-8")).is_valid


def test_the_api_download_keeps_every_vertex(stores: tuple[Path, Path]) -> None:
    _, detailed = stores
    with TestClient(create_app(Settings(store_path=detailed))) as client:
        response = client.get("/api/units/" + DETAILED)
        collection = client.get("/api/coverage", params={"parent": "09496", "as_of": BEFORE})
    assert shapely.get_num_coordinates(shape(response.json()["geometry"])) == VERTICES + 1
    (feature,) = [f for f in collection.json()["features"] if f["id"] == DETAILED]
    assert shapely.get_num_coordinates(shape(feature["geometry"])) == VERTICES + 1


def test_the_tolerance_follows_the_view_in_metres() -> None:
    # 0.1° of latitude is 11.1 km; 0.1° of longitude at 60°N only 5.6 km.
    assert display_tolerance((10.0, 0.0, 10.1, 0.1)) == pytest.approx(0.1 / 4000)
    assert display_tolerance((10.0, 60.0, 10.2, 60.05)) == pytest.approx(0.1 / 4000, rel=0.02)
    assert display_tolerance(None) == 0.0


def test_small_geometries_are_left_alone_without_a_view() -> None:
    square = shapely.box(106.0, 21.0, 106.001, 21.001)
    out = display_geometries([square, None], 0.0)
    assert out[0].equals(square) and out[1] is None
