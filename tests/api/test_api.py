"""The HTTP API through the real app and a real demo GeoPackage."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

BEFORE = "2025-06-30"


def test_units_filter_by_level_parent_and_accent_insensitive_q(client: TestClient) -> None:
    body = client.get("/api/units", params={"level": 3, "q": "THUA", "as_of": BEFORE}).json()
    assert [u["name"] for u in body["units"]] == ["Thị trấn Thứa"]
    villages = client.get("/api/units", params={"parent": "09496", "as_of": BEFORE}).json()
    assert villages["count"] == 8
    assert {u["geometry_quality"] for u in villages["units"]} == {"approximate"}
    dong = client.get("/api/units", params={"q": "duong lam", "as_of": BEFORE}).json()
    assert [u["name"] for u in dong["units"]] == ["Xã Đường Lâm"]


def test_unit_detail_is_a_feature_with_lineage(client: TestClient) -> None:
    response = client.get("/api/units/07054")
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["properties"]["name"] == "Xã Quảng La"
    assert "07057" in feature["properties"]["predecessors"]
    assert feature["geometry"]["type"] == "MultiPolygon"
    old = client.get("/api/units/07057", params={"as_of": BEFORE}).json()
    assert old["properties"]["successors"] == ["07054"]
    assert [a["code"] for a in old["properties"]["ancestors"]] == ["204", "22"]


def test_coverage_is_rfc7946_lon_lat(client: TestClient) -> None:
    response = client.get("/api/coverage", params={"parent": "09496", "as_of": BEFORE})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert "filename=" in response.headers["content-disposition"]
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection
    assert len(collection["features"]) == 8
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"][0][0][0]
        assert 105 < lon < 108 and 20 < lat < 22  # Bắc Ninh, lon first
        assert feature["properties"]["covered"] is True
        assert feature["properties"]["model_types"] == ["patrol_team"]
        assert isinstance(feature["properties"]["members"], int)


def test_coverage_rollups_and_model_type_filter(client: TestClient) -> None:
    communes = client.get("/api/coverage", params={"level": 3, "as_of": BEFORE}).json()
    thua = next(f for f in communes["features"] if f["id"] == "09496")["properties"]
    assert (thua["villages_covered"], thua["villages_total"], thua["members"]) == (8, 8, 52)
    patrol_only = client.get(
        "/api/coverage", params={"parent": "07057", "model_type": "patrol_team", "as_of": BEFORE}
    ).json()
    assert not any(f["properties"]["covered"] for f in patrol_only["features"])
    assert patrol_only["policy"]["required_types"] == ["patrol_team"]


def test_gaps_geojson_and_excel_csv(client: TestClient) -> None:
    gaps = client.get("/api/gaps", params={"parent": "07057", "as_of": BEFORE}).json()
    assert [f["properties"]["name"] for f in gaps["features"]] == ["Thôn 4"]
    response = client.get("/api/gaps", params={"format": "csv", "as_of": BEFORE})
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".csv" in disposition
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {row["name"] for row in rows}
    assert {"Thôn 4", "Tổ dân phố 1 Tiền Huân", "Khu phố 6"} <= names
    assert not any(
        row["name"].startswith("Khu phố") and row["commune_name"] == "Thị trấn Thứa" for row in rows
    )


def test_models_list_sites_without_personal_data(client: TestClient) -> None:
    body = client.get("/api/models", params={"parent": "09496", "as_of": BEFORE}).json()
    (model,) = body["models"]
    assert model["type_name_vi"] == "Tổ tuần tra nhân dân"
    assert len(model["teams"]) == 8
    assert sum(t["members"] for t in model["teams"]) == 52
    assert set(model["teams"][0]) == {
        "unit_code",
        "unit_name",
        "name",
        "members",
        "households",
        "cameras",
        "leader_role",
    }
    types = client.get("/api/model-types").json()
    assert types["count"] >= 16


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/units/99999", 404),
        ("/api/coverage?parent=nope", 404),
        ("/api/coverage?as_of=31/12/2024", 422),
        ("/api/coverage?level=9", 422),
        ("/api/coverage?model_type=unknown", 422),
        ("/api/gaps?format=xls", 422),
        ("/api/models?status=sleeping", 422),
        ("/api/models/NOPE", 404),
        ("/api/units?level=0", 422),
    ],
)
def test_bad_requests_get_4xx_with_a_message(client: TestClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["detail"]


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/units", "/api/units/{code}", "/api/coverage", "/api/gaps", "/api/models"} <= set(
        paths
    )
