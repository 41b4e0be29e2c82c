"""Every /api list pages: ``limit`` and ``offset``, a ``next`` link in the body and in a
``Link`` header while rows remain, and a 4xx with a message for a bad page."""

from __future__ import annotations

import json
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.settings import Settings
from tests.live import serving

BEFORE = "2025-06-30"
# (path, query, where the rows are, what names a row)
LISTS = [
    ("/api/units", {"as_of": BEFORE, "level": 4}, "units", "code"),
    ("/api/units", {"as_of": BEFORE, "q": "thon"}, "units", "code"),
    ("/api/coverage", {"as_of": BEFORE}, "features", "id"),
    ("/api/coverage", {"as_of": BEFORE, "level": 3}, "features", "id"),
    ("/api/gaps", {"as_of": BEFORE}, "features", "id"),
    ("/api/models", {"as_of": BEFORE}, "models", "model_id"),
    ("/api/model-types", {}, "model_types", "code"),
    ("/api/imports", {}, "imports", "id"),
]


def walk(get: Any, path: str, params: dict[str, Any], rows: str, key: str) -> list[Any]:
    """Every row of the list, page after page by the ``next`` links (3 rows a page)."""
    seen: list[Any] = []
    answer = get(path, params={**params, "limit": 3})
    while True:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [row[key] for row in body[rows]]
        following = body["next"]
        link = answer.headers.get("link")
        if following is None:
            assert link is None
            return seen
        assert link == f'<{following}>; rel="next"'
        assert len(body[rows]) == 3
        answer = get(following)


@pytest.mark.parametrize(("path", "params", "rows", "key"), LISTS)
def test_next_links_walk_the_whole_list_exactly_once(
    client: TestClient, path: str, params: dict[str, Any], rows: str, key: str
) -> None:
    whole = client.get(path, params={**params, "limit": 100_000}).json()
    expected = [row[key] for row in whole[rows]]
    assert len(expected) > 3 or path == "/api/imports"
    assert whole["next"] is None
    assert walk(client.get, path, params, rows, key) == expected


def test_a_feature_collection_says_how_many_matched_and_links_on(client: TestClient) -> None:
    body = client.get("/api/coverage", params={"as_of": BEFORE, "limit": 2, "offset": 1}).json()
    assert body["numberReturned"] == 2 and body["numberMatched"] > 3
    assert body["links"] == [{"rel": "next", "href": body["next"]}]
    assert "offset=3" in body["next"] and "limit=2" in body["next"]


@pytest.mark.parametrize("path", ["/api/units", "/api/coverage", "/api/gaps", "/api/models"])
@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"limit": 0}, 422, "greater than or equal to 1"),
        ({"limit": -5}, 422, "greater than or equal to 1"),
        ({"limit": "many"}, 422, "valid integer"),
        ({"offset": -1}, 422, "greater than or equal to 0"),
        ({"limit": 100_001}, 400, "over this server's maximum of 100000"),
    ],
)
def test_a_bad_page_is_a_4xx_with_a_message(
    client: TestClient, path: str, params: dict[str, Any], status: int, says: str
) -> None:
    answer = client.get(path, params={"as_of": BEFORE, **params})
    assert answer.status_code == status
    assert says in str(answer.json()["detail"])


def test_an_offset_past_the_end_is_an_empty_last_page(client: TestClient) -> None:
    body = client.get("/api/units", params={"as_of": BEFORE, "offset": 10**6}).json()
    assert body["units"] == [] and body["next"] is None and body["count"] > 0


@pytest.fixture
def small_pages(demo_gpkg: Path, tmp_path: Path) -> Settings:
    path = tmp_path / "paged.gpkg"
    shutil.copy(demo_gpkg, path)
    return Settings(store_path=path, default_page_limit=2, max_feature_limit=50)


def test_default_and_maximum_come_from_the_settings(small_pages: Settings) -> None:
    with TestClient(create_app(small_pages)) as client:
        units = client.get("/api/units", params={"as_of": BEFORE, "level": 4}).json()
        assert (len(units["units"]), units["limit"]) == (2, 2) and units["next"]
        assert client.get("/api/units", params={"limit": 51}).status_code == 400
        # A file to save holds the whole list, up to the maximum, and links on past it.
        csv = client.get("/api/gaps", params={"as_of": BEFORE, "format": "csv"})
        gaps = client.get("/api/gaps", params={"as_of": BEFORE, "limit": 50}).json()
        assert len(csv.text.strip().splitlines()) == 1 + gaps["numberReturned"] > 3
        assert ("link" in csv.headers) == (gaps["next"] is not None)


@dataclass
class Answer:
    status_code: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def test_pages_through_a_real_server(small_pages: Settings) -> None:
    with serving(create_app(small_pages)) as base:

        def get(path: str, params: dict[str, Any] | None = None) -> Answer:
            url = path if path.startswith("http") else base + path
            url += f"?{urlencode(params)}" if params else ""
            with urllib.request.urlopen(url, timeout=30) as response:
                headers = {name.lower(): value for name, value in response.headers.items()}
                return Answer(response.status, response.read(), headers)

        whole = get("/api/coverage", {"as_of": BEFORE, "limit": 50}).json()
        expected = [feature["id"] for feature in whole["features"]]
        assert walk(get, "/api/coverage", {"as_of": BEFORE}, "features", "id") == expected
