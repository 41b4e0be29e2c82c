"""Every page and API route on a store without data answers normally (issue 10, item 3):
an empty collection, a 404 that says how to import data, or an empty map saying so.
Never a 500. Routes are read from the app itself, so a new route is covered too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from geo_service.app import create_app
from geo_service.imports.pipeline import import_boundaries
from geo_service.settings import DEMO_DATA_DIR, Settings
from geo_service.store import open_store

IMPORT_HINT = "geo-service import boundaries FILE"
# A value for each parameter the routes take; any other is sent as "x".
SAMPLES = {
    "q": "thua",
    "level": "3",
    "parent": "09496",
    "unit": "09496",
    "code": "09496",
    "model_id": "M1",
    "as_of": "2025-06-30",
    "format": "csv",
    "type": "patrol_team",
    "status": "active",
    "model_type": "patrol_team",
    "limit": "10",
}


@pytest.fixture(params=["missing", "emptied"])
def empty_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """A store path with no file yet, or a store whose only import was undone."""
    path = tmp_path / "store.gpkg"
    if request.param == "emptied":
        store = open_store(str(path))
        outcome = import_boundaries(store, DEMO_DATA_DIR / "units_pre2025.geojson")
        assert outcome.import_id is not None
        store.undo(outcome.import_id)
        assert store.exists() and store.units().empty
    app = create_app(Settings(store_path=path))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    assert path.exists() == (request.param == "emptied")  # reading created nothing


def get_requests(client: TestClient) -> list[tuple[str, dict[str, str]]]:
    """(path, query) for every GET route: once bare, once per query parameter it takes."""
    app: Any = client.app
    documented = app.openapi()["paths"]
    requests: list[tuple[str, dict[str, str]]] = []
    for path, operations in documented.items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        url = path
        for parameter in parameters:
            if parameter["in"] == "path":
                url = url.replace(f"{{{parameter['name']}}}", SAMPLES.get(parameter["name"], "x"))
        requests.append((url, {}))
        for parameter in parameters:
            if parameter["in"] == "query":
                name = parameter["name"]
                requests.append((url, {name: SAMPLES.get(name, "x")}))
    # Routes outside the OpenAPI document (the docs pages themselves).
    plain = [
        r
        for r in app.routes
        if isinstance(r, Route) and not (isinstance(r, APIRoute) and r.include_in_schema)
    ]
    requests += [(r.path, {}) for r in plain if "GET" in (r.methods or set())]
    assert {"/api/units", "/api/coverage", "/api/gaps", "/"} <= {p for p, _ in requests}
    return requests


def test_every_get_route_answers_without_a_server_error(empty_client: TestClient) -> None:
    for path, query in get_requests(empty_client):
        response = empty_client.get(path, params=query)
        assert response.status_code < 500, (path, query, response.text[:300])
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith(("application/json", "text/html"))


def test_collections_are_empty(empty_client: TestClient) -> None:
    for query in ({}, {"q": "thua"}, {"q": "thua", "level": "3"}, {"level": "4"}):
        body = empty_client.get("/api/units", params=query).json()
        assert (body["count"], body["units"]) == (0, []), query
    for route in ("/api/coverage", "/api/gaps"):
        assert empty_client.get(route).json()["features"] == []
        csv = empty_client.get(route, params={"format": "csv"}).text
        assert csv.count("\n") == 1 and csv.startswith("\ufeffcode,")  # the header only
    rollups = empty_client.get("/api/coverage", params={"level": 3}).json()["features"]
    assert rollups == []
    assert empty_client.get("/api/models").json()["models"] == []
    assert empty_client.get("/api/model-types").json()["model_types"] == []


def test_a_unit_asked_for_on_an_empty_store_says_how_to_import(empty_client: TestClient) -> None:
    response = empty_client.get("/api/units/09496")
    assert response.status_code == 404
    assert "the store has no units yet" in response.json()["detail"]
    assert IMPORT_HINT in response.json()["detail"]
    page = empty_client.get("/", params={"unit": "09496"})
    assert page.status_code == 404
    assert "Chưa có dữ liệu" in page.text and f"<code>{IMPORT_HINT}</code>" in page.text


def test_the_map_of_an_empty_store_says_how_to_import(empty_client: TestClient) -> None:
    response = empty_client.get("/")
    assert response.status_code == 200
    html = response.text
    assert "No data yet" in html and f"<code>{IMPORT_HINT}</code>" in html
    assert "<code>geo-service demo</code>" in html
    assert '<span class="big villages-covered">—</span>' in html  # not "0/0"
