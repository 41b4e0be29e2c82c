"""``/api/map``: what the map page fetches, on the demo and on an empty store, and its
answers to bad input (a 4xx with a message, never a 500)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.settings import Settings

BEFORE, AFTER = "2025-06-30", "2025-07-01"
VIETNAM = "102,8,110,24"
NORTH = "105,20,108,22"
QUANG_LA = "106.7,21.0,107.0,21.2"


@pytest.fixture(scope="module")
def client(demo_gpkg: Path) -> TestClient:
    with TestClient(create_app(Settings(store_path=demo_gpkg))) as test_client:
        yield test_client  # type: ignore[misc]


def features(client: TestClient, **params: object) -> dict[str, object]:
    response = client.get("/api/map/features", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    body: dict[str, object] = response.json()
    return body


def test_provinces_of_the_country_with_coverage_and_hover_text(client: TestClient) -> None:
    body = features(client, bbox=VIETNAM, level=1, as_of=BEFORE)
    assert body["level"] == 1
    found = {f["id"]: f["properties"] for f in body["features"]}  # type: ignore[attr-defined]
    assert set(found) == {"01", "22", "27", "38", "45"}
    bac_ninh = found["27"]
    assert bac_ninh["kind"] == "unit" and bac_ninh["name"] == "Tỉnh Bắc Ninh"
    assert bac_ninh["data_status"] in {"complete", "partial", "no_data"}
    assert "Tỉnh Bắc Ninh" in bac_ninh["tooltip"]


def test_districts_before_the_reform_and_communes_after_it(client: TestClient) -> None:
    before = features(client, bbox=NORTH, level=2, as_of=BEFORE)
    assert before["level"] == 2
    assert "264" in {f["id"] for f in before["features"]}  # type: ignore[attr-defined]
    after = features(client, bbox=NORTH, level=2, as_of=AFTER)
    assert after["level"] == 3  # no districts: communes hang under provinces
    assert "07054" in {f["id"] for f in after["features"]}  # type: ignore[attr-defined]


def test_villages_with_their_status_and_the_grey_parts_without_a_list(client: TestClient) -> None:
    body = features(client, bbox=QUANG_LA, level=4, as_of=AFTER)
    kinds: dict[str, set[str]] = {}
    for feature in body["features"]:  # type: ignore[attr-defined]
        kinds.setdefault(feature["properties"]["kind"], set()).add(feature["id"])
    assert {"07057-001", "07057-004"} <= kinds["village"]
    assert {"07054/07039", "07054/07051", "07054/07054"} <= kinds["no_data"]
    (uncovered,) = [
        f["properties"]
        for f in body["features"]  # type: ignore[attr-defined]
        if f["id"] == "07057-004"
    ]
    assert uncovered["status"] == "uncovered"


def test_gaps_in_a_box_are_counted_thinned_and_listed_by_commune(client: TestClient) -> None:
    body = client.get("/api/map/gaps", params={"bbox": VIETNAM, "zoom": 6, "as_of": BEFORE}).json()
    assert body["total"] == 10
    assert sum(point[2] for point in body["points"]) == 10
    assert len(body["points"]) < 10  # Viên Sơn's wards share a few pixels at zoom 6
    listed = [(gap["commune"], gap["name"]) for gap in body["listed"]]
    assert listed == sorted(listed) and len(listed) == 10
    close = client.get("/api/map/gaps", params={"bbox": VIETNAM, "zoom": 18, "as_of": BEFORE})
    assert len(close.json()["points"]) == 10
    few = client.get("/api/map/gaps", params={"bbox": VIETNAM, "zoom": 6, "listed": 2})
    assert len(few.json()["listed"]) == 2
    elsewhere = client.get("/api/map/gaps", params={"bbox": "0,0,1,1", "zoom": 6}).json()
    assert elsewhere["total"] == 0 and elsewhere["points"] == [] and elsewhere["listed"] == []


def test_a_unit_s_bounds_place_and_popup(client: TestClient) -> None:
    village = client.get("/api/map/units/09496-003", params={"as_of": BEFORE}).json()
    assert village["level"] == 4 and village["place"][0] == "Thị trấn Thứa"
    assert 'class="popup village-popup" data-code="09496-003"' in village["popup"]
    west, south, east, north = village["bounds"]
    assert 106.1 < west < east < 106.3 and 20.9 < south < north < 21.1
    commune = client.get("/api/map/units/09496", params={"as_of": BEFORE}).json()
    assert commune["place"] == ["Huyện Lương Tài", "Tỉnh Bắc Ninh"]
    assert 'class="popup unit-popup" data-code="09496"' in commune["popup"]


def test_a_retired_or_unknown_unit_is_a_404_naming_its_successor(client: TestClient) -> None:
    retired = client.get("/api/map/units/07057", params={"as_of": AFTER})
    assert retired.status_code == 404
    assert retired.json()["unit"]["successors"][0]["code"] == "07054"
    assert client.get("/api/map/units/99999").status_code == 404
    assert client.get("/api/map/panel", params={"unit": "99999"}).status_code == 404


def test_the_panel_of_a_unit_and_of_everything(client: TestClient) -> None:
    panel = client.get("/api/map/panel", params={"unit": "09595", "as_of": BEFORE}).json()
    assert panel["title"] == "Phường Viên Sơn"
    assert panel["place"] == ["Thị xã Sơn Tây", "Thành phố Hà Nội"]
    assert 'class="big villages-covered">1/9<' in panel["html"]
    assert "parent=09595" in panel["html"]  # its download links
    everything = client.get("/api/map/panel", params={"as_of": BEFORE}).json()
    assert everything["title"] == "Tất cả đơn vị (all units)"


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("features", {"bbox": "1,2,3", "level": 1}, 400, "bbox must be 4 numbers"),
        ("features", {"bbox": "a,b,c,d", "level": 1}, 400, "bbox must be numbers"),
        ("features", {"bbox": "1,2,inf,4", "level": 1}, 400, "finite"),
        ("features", {"bbox": "110,2,100,4", "level": 1}, 400, "west <= east"),
        ("features", {"bbox": "100,50,110,40", "level": 1}, 400, "latitudes"),
        ("features", {"bbox": "100,2,200,4", "level": 1}, 400, "longitudes"),
        ("features", {"bbox": VIETNAM, "level": 4}, 400, "zoom in"),
        ("features", {"bbox": VIETNAM, "level": 0}, 422, "greater than or equal"),
        ("features", {"bbox": VIETNAM, "level": 5}, 422, "less than or equal"),
        ("features", {"level": 1}, 422, "Field required"),
        ("features", {"bbox": VIETNAM, "level": 1, "as_of": "2025-13-01"}, 422, "month"),
        ("gaps", {"bbox": VIETNAM, "zoom": 23}, 422, "less than or equal"),
        ("gaps", {"bbox": VIETNAM, "zoom": "x"}, 422, "integer"),
        ("gaps", {"bbox": VIETNAM, "zoom": 5, "listed": 5000}, 422, "less than or equal"),
        ("gaps", {"bbox": "nan,1,2,3", "zoom": 5}, 400, "finite"),
        ("panel", {"as_of": "yesterday"}, 422, "date"),
    ],
)
def test_bad_input_is_a_4xx_with_a_message(
    client: TestClient, path: str, params: dict[str, object], status: int, message: str
) -> None:
    response = client.get(f"/api/map/{path}", params=params)
    assert response.status_code == status, response.text
    assert message in response.text


def test_an_empty_store_answers_empty_collections(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(store_path=tmp_path / "empty.gpkg"))) as empty:
        body = empty.get("/api/map/features", params={"bbox": VIETNAM, "level": 1}).json()
        assert body["features"] == []
        villages = empty.get("/api/map/features", params={"bbox": QUANG_LA, "level": 4})
        assert villages.status_code == 200 and villages.json()["features"] == []
        gaps = empty.get("/api/map/gaps", params={"bbox": VIETNAM, "zoom": 6}).json()
        assert gaps["total"] == 0 and gaps["points"] == []
        panel = empty.get("/api/map/panel").json()
        assert '<span class="big villages-covered">—</span>' in panel["html"]
        assert empty.get("/api/map/units/09496").status_code == 404
    assert not (tmp_path / "empty.gpkg").exists()  # reading wrote nothing
