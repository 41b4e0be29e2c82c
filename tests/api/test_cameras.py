"""``/api/cameras`` (issue 13, item 6): camera points as GeoJSON, served only when
``GEO_SERVICE_CAMERA_POINTS_PUBLIC`` is on; off (the default), a 404 that says so, and no
camera point in any other public output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.imports.pipeline import import_models
from geo_service.settings import Settings
from geo_service.store import Store, open_store
from tests.camera_sites import THON_1, THON_4, camera_register


@pytest.fixture
def camera_store(demo_store: Store, tmp_path: Path) -> Path:
    import_models(demo_store, camera_register(tmp_path))
    return Path(demo_store.path)


def client_of(path: Path, *, public: bool) -> Iterator[TestClient]:
    settings = Settings(store_path=path, camera_points_public=public)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def cameras_on(camera_store: Path) -> Iterator[TestClient]:
    yield from client_of(camera_store, public=True)


@pytest.fixture
def cameras_off(camera_store: Path) -> Iterator[TestClient]:
    yield from client_of(camera_store, public=False)


def test_the_setting_is_off_by_default() -> None:
    assert Settings().camera_points_public is False


def test_camera_points_are_a_geojson_layer(cameras_on: TestClient) -> None:
    response = cameras_on.get("/api/cameras")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 3
    features = {f["id"]: f for f in body["features"]}
    assert features["CAM-1/001"]["geometry"] == {"type": "Point", "coordinates": list(THON_1)}
    assert features["CAM-1/003"]["properties"]["unit_code"] == "07057-004"
    assert features["CAM-1/003"]["properties"]["unit_name"] == "Thôn 4"
    assert features["CAM-1/003"]["properties"]["cameras"] == 1
    assert "CAM-1/004" not in features  # the site without a point


def test_filters_by_unit_bbox_and_page(cameras_on: TestClient) -> None:
    # Bằng Cả's villages lie in Xã Quảng La (07054) since the 2025 reform.
    assert cameras_on.get("/api/cameras", params={"unit": "07054"}).json()["numberMatched"] == 3
    assert cameras_on.get("/api/cameras", params={"unit": "09496"}).json()["features"] == []
    old = {"unit": "07057", "as_of": "2025-06-30"}
    assert cameras_on.get("/api/cameras", params=old).json()["numberMatched"] == 3
    around = f"{THON_4[0] - 0.01},{THON_4[1] - 0.01},{THON_4[0] + 0.01},{THON_4[1] + 0.01}"
    found = cameras_on.get("/api/cameras", params={"bbox": around}).json()["features"]
    assert [f["id"] for f in found] == ["CAM-1/003"]
    page = cameras_on.get("/api/cameras", params={"limit": 2}).json()
    assert page["numberReturned"] == 2 and "offset=2" in page["next"]


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ({"bbox": "106,21"}, 400, "bbox must be 4 numbers"),
        ({"bbox": "a,b,c,d"}, 400, "bbox must be numbers"),
        ({"unit": "07057"}, 404, "07054"),  # merged: the answer names the successor
        ({"unit": "77777"}, 404, "77777"),
        ({"limit": "-1"}, 422, "limit"),
    ],
)
def test_bad_input_is_a_4xx_with_a_message(
    cameras_on: TestClient, query: dict[str, str], status: int, words: str
) -> None:
    response = cameras_on.get("/api/cameras", params=query)
    assert response.status_code == status, response.text
    assert words in response.text


def test_off_the_layer_is_a_404_saying_so(cameras_off: TestClient) -> None:
    for query in ({}, {"unit": "07054"}, {"bbox": "a"}):
        response = cameras_off.get("/api/cameras", params=query)
        assert response.status_code == 404
        assert "GEO_SERVICE_CAMERA_POINTS_PUBLIC is off" in response.json()["detail"]


@pytest.mark.parametrize("public", [False, True])
def test_no_other_public_output_carries_a_camera_point(camera_store: Path, public: bool) -> None:
    point_texts = [f"{THON_1[0]}", f"{THON_1[1]}", f"{THON_4[0]}", f"{THON_4[1]}"]
    for client in client_of(camera_store, public=public):
        outputs = [
            "/api/models",
            "/api/models/CAM-1",
            "/api/coverage?parent=07054",
            "/api/coverage?parent=07054&format=csv",
            "/api/coverage?parent=07054&download=1",
            "/api/gaps?parent=07054",
            "/api/units?parent=07054",
            "/ogc/collections/model-sites/items?limit=1000",
            "/ogc/collections/villages/items?limit=1000",
            "/?unit=07054",
        ]
        for url in outputs:
            response = client.get(url)
            assert response.status_code == 200, url
            assert not any(text in response.text for text in point_texts), url


def test_cameras_count_per_village_from_their_points(
    cameras_off: TestClient, client: TestClient
) -> None:
    def cameras_of(api: TestClient) -> dict[str, int]:
        coverage = api.get("/api/coverage", params={"parent": "07054"}).json()
        return {
            f["properties"]["code"]: f["properties"]["cameras"] or 0 for f in coverage["features"]
        }

    before, after = cameras_of(client), cameras_of(cameras_off)  # the demo, then with points
    assert after["07057-001"] - before["07057-001"] == 2
    assert after["07057-004"] - before["07057-004"] == 1


def test_an_empty_store_has_an_empty_layer(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    for client in client_of(path, public=True):
        body = client.get("/api/cameras").json()
        assert (body["features"], body["numberMatched"]) == ([], 0)
    assert not open_store(str(path)).exists()
