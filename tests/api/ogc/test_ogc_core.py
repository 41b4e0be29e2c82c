"""OGC API – Features, Part 1 through the real app on the demo store: the landing page,
conformance, collections, items with paging, filters and the as-of day, one item, the
OpenAPI 3.0 document, and JSON/HTML negotiation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo_service.store import Store, UnitQuery

BEFORE = "2025-06-30"
CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
COLLECTION_IDS = ["villages", "communes", "districts", "provinces", "gaps", "model-sites"]


def rels(body: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for item in body["links"]:
        found.setdefault(item["rel"], []).append(item)
    return found


def test_landing_page_links_the_api_definition_conformance_and_data(client: TestClient) -> None:
    response = client.get("/ogc")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    links = rels(response.json())
    assert links["self"][0]["type"] == "application/json"
    assert links["alternate"][0]["type"] == "text/html"
    assert links["service-desc"][0]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["conformance"][0]["href"].endswith("/ogc/conformance")
    assert links["data"][0]["href"].endswith("/ogc/collections")
    for rel in ("service-desc", "conformance", "data"):
        assert client.get(links[rel][0]["href"]).status_code == 200


def test_conformance_declares_core_geojson_html_and_openapi(client: TestClient) -> None:
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    assert {CONF + c for c in ("core", "geojson", "html", "oas30")} <= set(classes)


def test_the_api_definition_is_openapi_3_0_with_each_collections_filters(
    client: TestClient,
) -> None:
    response = client.get("/ogc/api")
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = response.json()
    assert document["openapi"].startswith("3.0.")
    villages = document["paths"]["/collections/villages/items"]["get"]["parameters"]
    named = {p.get("name") for p in villages} | {
        p.get("$ref", "").rsplit("/", 1)[-1] for p in villages
    }
    assert {"bbox", "datetime", "limit", "offset", "parent", "status", "model_type"} <= named
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100_000, 100)


def test_collections_have_extent_crs84_and_items_links(client: TestClient) -> None:
    body = client.get("/ogc/collections").json()
    assert [c["id"] for c in body["collections"]] == COLLECTION_IDS
    for collection in body["collections"]:
        assert collection["itemType"] == "feature"
        assert collection["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
        assert {"application/geo+json", "text/html"} == {
            link["type"] for link in collection["links"] if link["rel"] == "items"
        }
    villages = client.get("/ogc/collections/villages").json()
    west, south, east, north = villages["extent"]["spatial"]["bbox"][0]
    assert 102 < west < east < 110 and 8 < south < north < 24  # Vietnam, lon/lat
    assert villages["extent"]["temporal"]["interval"] == [[None, None]]  # history has no start
    assert "self" in rels(villages) and "items" in rels(villages)


def test_items_page_through_next_links_to_every_village(
    client: TestClient, demo_store: Store
) -> None:
    expected = set(demo_store.units(UnitQuery(as_of=None, level=4))["code"])
    url: str | None = "/ogc/collections/villages/items?limit=7"
    seen: list[str] = []
    pages = 0
    while url is not None:
        body = client.get(url).json()
        assert body["numberMatched"] == len(expected)
        assert body["numberReturned"] == len(body["features"]) <= 7
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timeStamp"])
        seen += [feature["id"] for feature in body["features"]]
        following = [
            link for link in rels(body).get("next", []) if link["type"] == "application/geo+json"
        ]
        url = following[0]["href"] if following else None
        pages += 1
    assert pages == -(-len(expected) // 7)
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))


def test_a_page_links_back_and_to_its_collection(client: TestClient) -> None:
    body = client.get("/ogc/collections/communes/items", params={"limit": 5, "offset": 5}).json()
    links = rels(body)
    assert "offset=0" in links["prev"][0]["href"]
    assert links["collection"][0]["href"].endswith("/ogc/collections/communes")


def test_the_default_page_is_the_settings_default(client: TestClient) -> None:
    body = client.get("/ogc/collections/model-sites/items").json()
    assert body["numberReturned"] == min(100, body["numberMatched"])


def test_datetime_is_the_as_of_day(client: TestClient) -> None:
    before = client.get("/ogc/collections/communes/items", params={"datetime": BEFORE}).json()
    after = client.get(
        "/ogc/collections/communes/items", params={"datetime": "2025-07-01T08:00:00+07:00"}
    ).json()
    # Xã Quảng La (07057) was merged into 07054 by the reform of 2025-07-01.
    assert "07057" in {f["id"] for f in before["features"]}
    assert "07057" not in {f["id"] for f in after["features"]}
    assert after["numberMatched"] < before["numberMatched"]
    thua = client.get("/ogc/collections/communes/items/09496", params={"datetime": BEFORE}).json()
    props = thua["properties"]
    assert (props["villages_covered"], props["villages_total"], props["members"]) == (8, 8, 52)
    districts = client.get("/ogc/collections/districts/items", params={"datetime": BEFORE})
    assert districts.json()["numberMatched"] > 0


def test_property_filters(client: TestClient) -> None:
    def ids(collection: str, **params: object) -> set[str]:
        body = client.get(f"/ogc/collections/{collection}/items", params=params).json()
        return {f["id"] for f in body["features"]}

    thua = ids("villages", parent="09496", datetime=BEFORE)
    assert len(thua) == 8 and all(code.startswith("09496") for code in thua)
    uncovered = ids("villages", status="uncovered")
    assert uncovered == ids("gaps") and uncovered
    assert ids("villages", status="covered").isdisjoint(uncovered)
    patrol = ids("model-sites", model_type="patrol_team")
    body = client.get("/ogc/collections/model-sites/items", params={"model_type": "patrol_team"})
    assert {f["properties"]["type_code"] for f in body.json()["features"]} == {"patrol_team"}
    assert patrol < ids("model-sites", limit=1000)
    at_villages = client.get("/ogc/collections/model-sites/items", params={"level": 4}).json()
    assert {f["properties"]["level"] for f in at_villages["features"]} == {4}
    no_data = client.get("/ogc/collections/communes/items", params={"data_status": "no_data"})
    assert {f["properties"]["data_status"] for f in no_data.json()["features"]} <= {"no_data"}
    # Coverage requiring one type: the gaps are the villages without an active model of it.
    villages = client.get("/ogc/collections/villages/items", params={"limit": 1000}).json()
    lacking = {
        f["id"] for f in villages["features"] if "patrol_team" not in f["properties"]["model_types"]
    }
    assert ids("gaps", model_type="patrol_team", limit=1000) == lacking != uncovered


def test_bbox_keeps_the_features_that_meet_it(client: TestClient) -> None:
    everything = client.get("/ogc/collections/villages/items").json()
    north = client.get("/ogc/collections/villages/items", params={"bbox": "105,20,108,22"}).json()
    assert 0 < north["numberMatched"] < everything["numberMatched"]
    for feature in north["features"]:
        lats = [lat for ring in feature["geometry"]["coordinates"][0] for _, lat in ring]
        assert max(lats) >= 20
    six = client.get(
        "/ogc/collections/villages/items", params={"bbox": "105,20,-10,108,22,10"}
    ).json()
    assert six["numberMatched"] == north["numberMatched"]
    across = client.get("/ogc/collections/villages/items", params={"bbox": "170,-10,-170,10"})
    assert across.json()["numberMatched"] == 0


def test_one_item_is_an_rfc7946_feature_with_links(client: TestClient) -> None:
    response = client.get("/ogc/collections/villages/items/09496-001", params={"datetime": BEFORE})
    if response.status_code == 404:  # the demo's village codes: take the first of Thứa's
        first = client.get(
            "/ogc/collections/villages/items", params={"parent": "09496", "datetime": BEFORE}
        ).json()["features"][0]["id"]
        response = client.get(
            f"/ogc/collections/villages/items/{first}", params={"datetime": BEFORE}
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature" and "crs" not in feature
    assert feature["properties"]["commune_name"] == "Thị trấn Thứa"
    assert feature["properties"]["province_name"]
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert 105 < lon < 108 and 20 < lat < 22
    assert {"self", "alternate", "collection"} <= set(rels(feature))


def test_model_sites_hold_counts_types_and_unit_codes_only(client: TestClient) -> None:
    body = client.get("/ogc/collections/model-sites/items", params={"limit": 1000}).json()
    assert body["features"]
    for feature in body["features"]:
        assert set(feature["properties"]) == {
            "site_id", "model_id", "type_code", "counts_as_model", "unit_code", "level",
            "teams", "members", "households", "cameras",
        }  # fmt: skip
        assert feature["geometry"]["type"] == "Point"
    site = body["features"][0]["id"]
    one = client.get(f"/ogc/collections/model-sites/items/{site}").json()
    assert one["id"] == site


@pytest.mark.parametrize(
    ("path", "template_marker"),
    [
        ("/ogc", "OGC API"),
        ("/ogc/conformance", "conf/core"),
        ("/ogc/collections", "Gap list"),
        ("/ogc/collections/villages", "covered or uncovered"),
        ("/ogc/collections/villages/items?limit=3", "numberMatched"),
        ("/ogc/collections/model-sites/items?limit=3", "self_managed_group"),
    ],
)
def test_html_by_f_or_by_a_browsers_accept_header(
    client: TestClient, path: str, template_marker: str
) -> None:
    browser = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    by_accept = client.get(path, headers=browser)
    joiner = "&" if "?" in path else "?"
    by_f = client.get(path + joiner + "f=html", headers={"accept": "application/json"})
    for response in (by_accept, by_f):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert "<h1>" in html
        # Nothing from another host: no script at all, styles inline, links to this service.
        assert "<script" not in html
        assert not re.search(r'(src|href)="https?://(?!testserver|www\.opengis\.net)', html)
    if template_marker != "numberMatched":
        assert template_marker in by_f.text
    json_again = client.get(path, headers={"accept": "application/geo+json, application/json"})
    assert json_again.headers["content-type"] in ("application/json", "application/geo+json")
