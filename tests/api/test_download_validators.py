"""A repeated download is answered 304 from the store's state (issue 12, item 5).

The ETag and Last-Modified come from the store's generation and the time of its latest
change, so they change with an import and with an undo, and a 304 is decided before any
coverage is computed (checked by making coverage fail). A validator a client made up, or
mangled, only means the full answer is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from geo_service.app import create_app
from geo_service.coverage.derived import CoverageCache
from geo_service.domain import UNIT_COLUMNS
from geo_service.settings import Settings
from geo_service.store import ImportBatch, ImportSource, Store

BEFORE = "2025-06-30"
DOWNLOADS = [
    ("/api/coverage", {"as_of": BEFORE}),
    ("/api/coverage", {"as_of": BEFORE, "format": "csv"}),
    ("/api/gaps", {"as_of": BEFORE}),
    ("/api/gaps", {"format": "csv"}),  # today
]


@pytest.fixture
def store_client(demo_store: Store) -> Iterator[tuple[TestClient, Store]]:
    """A client over a private copy of the demo, and that store, to change it."""
    app = create_app(Settings(store_path=Path(demo_store.path)))
    with TestClient(app) as client:
        yield client, demo_store


def new_village(code: str) -> ImportBatch:
    row: dict[str, Any] = dict.fromkeys(UNIT_COLUMNS) | {
        "code": code,
        "name": "Thôn Mới",
        "unit_type": "thon",
        "level": 4,
        "parent_code": "09496",
        "geometry_quality": "surveyed",
        "source": "test",
    }
    units = gpd.GeoDataFrame(
        pd.DataFrame([row])[UNIT_COLUMNS], geometry=[box(106.2, 21.0, 106.201, 21.001)], crs=4326
    )
    return ImportBatch(ImportSource("boundaries", f"{code}.geojson", "0" * 64), units=units)


@pytest.mark.parametrize(("path", "params"), DOWNLOADS)
def test_a_repeat_with_either_validator_is_answered_304(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    first = client.get(path, params=params)
    assert first.status_code == 200
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"') and first.headers["cache-control"] == "no-cache"
    for validator in ({"If-None-Match": etag}, {"If-Modified-Since": last_modified}):
        repeat = client.get(path, params=params, headers=validator)
        assert repeat.status_code == 304, validator
        assert repeat.content == b""
        assert repeat.headers["etag"] == etag
        assert repeat.headers["last-modified"] == last_modified
        assert repeat.headers["vary"] == "Accept-Encoding"
    later = format_datetime(parsedate_to_datetime(last_modified).replace(year=2099), usegmt=True)
    assert client.get(path, params=params, headers={"If-Modified-Since": later}).status_code == 304
    listed = {"If-None-Match": f'"other", {etag.removeprefix("W/")}'}  # weak comparison
    assert client.get(path, params=params, headers=listed).status_code == 304


def test_other_parameters_have_other_etags(client: TestClient) -> None:
    etags = {
        client.get(path, params=params).headers["etag"]
        for path, params in [
            *DOWNLOADS,
            ("/api/coverage", {"as_of": "2025-07-01"}),
            ("/api/coverage", {"as_of": BEFORE, "parent": "09496"}),
            ("/api/coverage", {"as_of": BEFORE, "download": "1"}),
            ("/api/coverage", {"as_of": BEFORE, "model_type": "patrol_team"}),
        ]
    }
    assert len(etags) == len(DOWNLOADS) + 4


def test_a_304_computes_no_coverage(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    etag = client.get("/api/gaps", params={"as_of": BEFORE}).headers["etag"]

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("coverage was asked for a 304")

    # Neither computed nor taken from the kept views: the 304 comes before coverage.
    monkeypatch.setattr(CoverageCache, "view", refuse)
    repeat = client.get("/api/gaps", params={"as_of": BEFORE}, headers={"If-None-Match": etag})
    assert repeat.status_code == 304


def test_the_validators_change_with_an_import_and_with_its_undo(
    store_client: tuple[TestClient, Store],
) -> None:
    client, store = store_client
    params = {"as_of": BEFORE}
    first = client.get("/api/coverage", params=params)
    import_id = store.apply(new_village("09496-900"))
    after_import = client.get(
        "/api/coverage", params=params, headers={"If-None-Match": first.headers["etag"]}
    )
    assert after_import.status_code == 200
    assert "09496-900" in after_import.text
    store.undo(import_id)
    after_undo = client.get(
        "/api/coverage", params=params, headers={"If-None-Match": after_import.headers["etag"]}
    )
    assert after_undo.status_code == 200
    assert "09496-900" not in after_undo.text
    etags = {r.headers["etag"] for r in (first, after_import, after_undo)}
    assert len(etags) == 3  # the undo restores the rows, not the generation
    assert parsedate_to_datetime(after_undo.headers["last-modified"]) >= parsedate_to_datetime(
        first.headers["last-modified"]
    )
    stale = {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}
    assert client.get("/api/coverage", params=params, headers=stale).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": "garbage"},
        {"If-None-Match": '"'},
        {"If-None-Match": ",,,"},
        {"If-None-Match": "W/"},
        {"If-Modified-Since": "yesterday"},
        {"If-Modified-Since": ""},
        {"If-Modified-Since": "Mon, 99 Foo 20251 99:99:99 GMT"},
        {"If-None-Match": "garbage", "If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"},
    ],
)
def test_a_bad_validator_gets_the_full_answer(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/api/gaps", params={"as_of": BEFORE}, headers=headers)
    assert response.status_code == 200
    assert response.json()["type"] == "FeatureCollection"
