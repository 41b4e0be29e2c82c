"""Every GeoJSON the service writes is RFC 7946 (issue 10, item 2): exterior rings
counter-clockwise, holes clockwise, at most 7 decimals, lon/lat, no "crs" member.

Checked with ``tests/geojson_check.py`` on the API (coverage at every level, gaps, unit
details, models), on the map page and the ``geo-service map`` file, and on the village
areas ``villages derive -o`` writes. The demo's village areas are Voronoi cells from GEOS,
wound clockwise with 15 decimals: the store holds them as they came, the writers fix them.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import Polygon, shape
from typer.testing import CliRunner

from geo_service.app import create_app
from geo_service.cli.main import app as cli
from geo_service.domain import UNIT_COLUMNS
from geo_service.output.geometry import rfc7946_geometries
from geo_service.settings import DEMO_DATA_DIR, Settings
from geo_service.store import ImportBatch, ImportSource, Store, UnitQuery, open_store
from tests.geojson_check import (
    assert_rfc7946,
    embedded_collections,
    positions,
    rfc7946_problems,
)

BEFORE, AFTER = "2025-06-30", "2025-07-01"
runner = CliRunner()


def stored_units(store: Store, rows: list[dict[str, Any]]) -> None:
    """Write units straight through the store's ``apply``, as any import would."""
    defaults: dict[str, Any] = dict.fromkeys(UNIT_COLUMNS) | {
        "unit_type": "thon",
        "level": 4,
        "geometry_quality": "surveyed",
        "source": "test",
    }
    frame = pd.DataFrame([defaults | row for row in rows])
    geometry = frame.pop("geometry")
    units = gpd.GeoDataFrame(frame[UNIT_COLUMNS], geometry=list(geometry), crs="EPSG:4326")
    store.apply(ImportBatch(ImportSource("boundaries", "test.geojson", "0" * 64), units=units))


def exteriors_ccw(geometry: shapely.Geometry) -> list[bool]:
    rings = shapely.get_exterior_ring(shapely.get_parts(geometry))
    return [bool(ccw) for ccw in shapely.is_ccw(rings)]


# -- the validator itself ----------------------------------------------------------------------


def test_the_validator_finds_each_kind_of_breach() -> None:
    clockwise = [[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]
    good = [list(reversed(clockwise))]
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name"},
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [clockwise]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[*good, list(reversed(clockwise))]],
                },
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [106.123456789, 21.0]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [21.0, 106.0]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": good},
            },
            {"type": "Feature", "properties": {}, "geometry": None},
        ],
    }
    problems = rfc7946_problems(collection)
    assert len(problems) == 5, problems
    assert "'crs'" in problems[0]
    assert "features[0].geometry ring 0: exterior ring is not counter-clockwise" in problems[1]
    assert "features[1].geometry.coordinates[0] ring 1: hole is not clockwise" in problems[2]
    assert "106.123456789 has more than 7 decimals" in problems[3]
    assert "not lon/lat in range" in problems[4]


# -- the API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [BEFORE, AFTER])
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/coverage", {}),
        ("/api/coverage", {"level": "3"}),
        ("/api/coverage", {"level": "2"}),
        ("/api/coverage", {"level": "1"}),
        ("/api/coverage", {"parent": "22"}),
        ("/api/coverage", {"download": "1"}),
        ("/api/gaps", {}),
        ("/api/gaps", {"download": "1"}),
    ],
)
def test_api_geojson_is_rfc7946(
    client: TestClient, path: str, query: dict[str, str], as_of: str
) -> None:
    response = client.get(path, params={**query, "as_of": as_of})
    assert response.status_code == 200
    body = response.json()
    assert_rfc7946(body, f"{path} {query}")
    if query.get("level") != "2" or as_of == BEFORE:  # no districts after the 2025 reform
        assert body["features"], "nothing was checked"


def test_village_geojson_was_clockwise_and_is_now_rounded_but_keeps_its_shape(
    client: TestClient, demo_gpkg: Path
) -> None:
    villages = client.get("/api/coverage", params={"as_of": BEFORE}).json()["features"]
    assert len(villages) == 41
    query = UnitQuery(as_of=date.fromisoformat(BEFORE), level=4)
    stored = open_store(str(demo_gpkg)).units(query).set_index("code")
    for feature in villages:
        written = shape(feature["geometry"])
        source = stored.loc[feature["id"]].geometry
        assert not any(exteriors_ccw(source))  # what the store holds
        assert written.is_valid
        assert all(exteriors_ccw(written))
        assert shapely.hausdorff_distance(written, source) < 1e-7
    used = {len(repr(c).split(".")[-1]) for p in positions(villages) for c in p}
    assert max(used) == 7


@pytest.mark.parametrize("code", ["07057", "07057-004", "22", "09496"])
def test_unit_detail_is_rfc7946(client: TestClient, code: str) -> None:
    response = client.get(f"/api/units/{code}", params={"as_of": BEFORE})
    assert response.status_code == 200
    assert response.json()["geometry"] is not None
    assert_rfc7946(response.json(), code)


def test_models_carry_no_geometry(client: TestClient) -> None:
    body = client.get("/api/models", params={"as_of": BEFORE}).json()
    assert body["count"] > 0
    assert not list(positions(body))
    assert "coordinates" not in json.dumps(body)


def test_a_hole_is_clockwise_and_an_exterior_counter_clockwise_whatever_was_stored(
    demo_gpkg: Path, tmp_path: Path
) -> None:
    # Stored the wrong way round, with the 15 decimals a reprojection leaves.
    outer = [(106.2001, 21.0001), (106.2001, 21.0101), (106.2101, 21.0101), (106.2101, 21.0001)]
    hole = [(106.2031234567891234, 21.003), (106.207, 21.003), (106.207, 21.007)]
    donut = Polygon(outer, [hole])
    assert not donut.exterior.is_ccw and donut.interiors[0].is_ccw
    path = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    stored_units(
        open_store(str(path)),
        [
            {
                "code": "09496-900",
                "name": "Thôn Vành Khuyên",
                "parent_code": "09496",
                "geometry": donut,
            }
        ],
    )
    with TestClient(create_app(Settings(store_path=path))) as client:
        for route, query in (
            ("/api/coverage", {"parent": "09496"}),
            ("/api/gaps", {}),
            ("/api/units/09496-900", {}),
        ):
            body = client.get(route, params={**query, "as_of": BEFORE}).json()
            assert_rfc7946(body, route)
        written = client.get("/api/units/09496-900", params={"as_of": BEFORE}).json()
    assert written["geometry"]["type"] == "MultiPolygon"  # the store keeps multipolygons
    (rings,) = written["geometry"]["coordinates"]
    assert len(rings) == 2
    assert [106.2031235, 21.003] in rings[1]


# -- the map -----------------------------------------------------------------------------------


def test_the_map_page_s_data_is_rfc7946_geojson(client: TestClient) -> None:
    boxes = {1: "102,8,110,24", 2: "105,20,108,22", 3: "105,20,108,22", 4: "106.1,21,106.3,21.1"}
    for as_of in (BEFORE, AFTER):
        for level, box in boxes.items():
            params = {"bbox": box, "level": level, "as_of": as_of}
            collection = client.get("/api/map/features", params=params).json()
            assert collection["features"], params
            assert_rfc7946(collection, f"map data {params}")


def test_the_map_file_embeds_rfc7946_geojson(demo_gpkg: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, store)
    output = tmp_path / "maps" / "thua.html"
    result = runner.invoke(
        cli, ["map", "--store", str(store), "--unit", "09496", "--as-of", BEFORE, "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    collections = embedded_collections(output.read_text(encoding="utf-8"))
    villages = [c for c in collections if any("popup" in f["properties"] for f in c["features"])]
    assert villages and any(len(c["features"]) == 8 for c in villages)
    for collection in collections:
        assert_rfc7946(collection, "geo-service map file")


# -- exports -----------------------------------------------------------------------------------


def test_derived_village_areas_are_written_as_rfc7946(demo_gpkg: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, store)
    output = tmp_path / "villages.geojson"
    result = runner.invoke(
        cli,
        [
            "villages",
            "derive",
            str(DEMO_DATA_DIR / "village_points.csv"),
            "--store",
            str(store),
            "--as-of",
            BEFORE,
            "-o",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    written = json.loads(output.read_text(encoding="utf-8"))
    assert len(written["features"]) == 41
    assert_rfc7946(written, "villages derive -o")


def test_rounding_and_orienting_keep_missing_and_point_geometries() -> None:
    point = shapely.Point(106.123456789, 21.5)
    out = rfc7946_geometries([None, point, shapely.Polygon()])
    assert out[0] is None
    assert out[1].equals(shapely.Point(106.1234568, 21.5))
    assert out[2].is_empty
