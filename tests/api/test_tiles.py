"""``/tiles/{collection}/{z}/{x}/{y}`` on the demo store: the tiles hold the demo's units
with their coverage, are cached per store generation (an undo changes them), answer 304
to a client holding the current one, and bad coordinates get a 4xx with a message.

Tiles are decoded with mapbox-vector-tile, as a map client reads them."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.imports.demo import DEMO_REGISTER
from geo_service.imports.pipeline import import_models
from geo_service.output.vector_tiles import EXTENT, MEDIA_TYPE, Tile, tile_of
from geo_service.settings import Settings
from geo_service.store import open_store
from tests.live import serving

# Demo villages (label points) and their coverage as the demo register has it.
COVERED = ("09496-001", 106.221741, 21.028263)  # Khu phố 1, Xã Lương Tài
UNCOVERED = ("07057-004", 106.867675, 21.044683)  # Thôn 4, Xã Quảng La
BEFORE_REFORM = "2025-06-30"


def features(content: bytes, layer: str) -> list[dict[str, Any]]:
    if not content:
        return []
    tile = mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})
    found: list[dict[str, Any]] = tile[layer]["features"]
    return found


def tile_url(collection: str, tile: Tile, query: str = "") -> str:
    return f"/tiles/{collection}/{tile.z}/{tile.x}/{tile.y}{query}"


def by_code(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {feature["properties"]["code"]: feature for feature in found}


def all_coordinates(geometry: dict[str, Any]) -> list[list[int]]:
    """Every vertex of a decoded (multi)polygon or point."""
    if geometry["type"] == "Point":
        return [geometry["coordinates"]]
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [point for polygon in polygons for ring in polygon for point in ring]


@pytest.mark.parametrize(("village", "status"), [(COVERED, "covered"), (UNCOVERED, "uncovered")])
def test_a_village_tile_holds_the_village_with_its_status(
    client: TestClient, village: tuple[str, float, float], status: str
) -> None:
    code, lon, lat = village
    response = client.get(tile_url("villages", tile_of(lon, lat, 14)))
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    found = by_code(features(response.content, "villages"))
    assert found[code]["properties"]["status"] == status
    assert set(found[code]["properties"]) >= {"code", "name", "status", "model_count"}
    slack = 64  # the clipping buffer
    for feature in found.values():
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        for x, y in all_coordinates(feature["geometry"]):
            assert -slack <= x <= EXTENT + slack and -slack <= y <= EXTENT + slack


def test_gaps_are_points_of_the_uncovered_villages(client: TestClient) -> None:
    code, lon, lat = UNCOVERED
    found = by_code(features(client.get(tile_url("gaps", tile_of(lon, lat, 9))).content, "gaps"))
    assert found[code]["geometry"]["type"] == "Point"
    assert {feature["properties"]["status"] for feature in found.values()} == {"uncovered"}
    assert COVERED[0] not in found


def test_communes_carry_coverage_and_the_no_data_class(client: TestClient) -> None:
    tile = tile_of(UNCOVERED[1], UNCOVERED[2], 9)
    communes = by_code(features(client.get(tile_url("communes", tile)).content, "communes"))
    quang_la = communes["07054"]["properties"]
    assert quang_la == {
        "code": "07054",
        "name": "Xã Quảng La",
        "coverage_pct": 75.0,
        "data_status": "partial",
        "villages_total": 4,
        "villages_covered": 3,
        "villages_uncovered": 1,
    }
    # no village list: no coverage figure at all, rather than 0 %
    assert communes["09499"]["properties"] == {
        "code": "09499",
        "name": "Xã Trung Kênh",
        "data_status": "no_data",
    }
    # before the 2025 reform, the tree of that day: Thôn 4 lay in Xã Bằng Cả
    before = client.get(tile_url("communes", tile, f"?as_of={BEFORE_REFORM}")).content
    bang_ca = by_code(features(before, "communes"))["07057"]["properties"]
    assert (bang_ca["name"], bang_ca["data_status"], bang_ca["villages_uncovered"]) == (
        "Xã Bằng Cả",
        "complete",
        1,
    )


def test_a_collection_below_its_first_zoom_and_an_empty_tile_are_204(client: TestClient) -> None:
    _, lon, lat = COVERED
    below = client.get(tile_url("villages", tile_of(lon, lat, 11)))
    assert below.status_code == 204 and below.content == b""
    ocean = client.get(tile_url("provinces", tile_of(-30.0, 0.0, 6)))
    assert ocean.status_code == 204 and ocean.content == b""
    assert client.get(tile_url("provinces", tile_of(lon, lat, 6))).status_code == 200


def test_simplification_keeps_fewer_vertices_at_low_zoom(client: TestClient) -> None:
    _, lon, lat = COVERED

    def vertices(z: int) -> int:
        content = client.get(tile_url("provinces", tile_of(lon, lat, z))).content
        found = features(content, "provinces")
        return sum(len(all_coordinates(feature["geometry"])) for feature in found)

    assert vertices(4) < vertices(8)


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/tiles/roads/1/0/0", 404, "no tile collection 'roads'; collections: provinces"),
        ("/tiles/villages/23/0/0", 400, "zoom 23 is outside 0..22"),
        ("/tiles/villages/-1/0/0", 400, "zoom -1 is outside 0..22"),
        ("/tiles/villages/2/4/0", 400, "x = 4 is outside 0..3 at zoom 2"),
        ("/tiles/villages/2/0/4", 400, "y = 4 is outside 0..3 at zoom 2"),
        ("/tiles/villages/2/0/-1", 400, "y = -1 is outside 0..3 at zoom 2"),
        ("/tiles/villages/a/0/0", 400, "z, x and y must be whole numbers"),
        ("/tiles/villages/2/1.5/0", 400, "z, x and y must be whole numbers"),
        ("/tiles/villages/2/0/99999999999999999999", 400, "z, x and y must be whole numbers"),
        ("/tiles/villages/2/0/0?as_of=yesterday", 422, "date"),
    ],
)
def test_bad_input_is_a_4xx_with_a_message(
    client: TestClient, path: str, status: int, message: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert message in str(response.json()["detail"])


def test_the_collections_are_listed_with_their_first_zoom(client: TestClient) -> None:
    listed = client.get("/tiles").json()
    assert listed["tiles"].endswith("/tiles/{collection}/{z}/{x}/{y}")
    assert {name: c["min_zoom"] for name, c in listed["collections"].items()} == {
        "provinces": 0,
        "districts": 7,
        "communes": 9,
        "villages": 12,
        "gaps": 7,
    }


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ("{etag}", 304),
        ("W/{etag}", 304),  # If-None-Match compares weakly
        ('"other", {etag}', 304),
        ('"other",W/{etag} , "more"', 304),
        ("*", 304),
        ('"other"', 200),
        ('"other", "more"', 200),
        ("garbage", 200),
        ("", 200),
    ],
)
def test_if_none_match_takes_lists_weak_tags_and_a_star(
    client: TestClient, if_none_match: str, status: int
) -> None:
    _, lon, lat = COVERED
    path = tile_url("villages", tile_of(lon, lat, 14))
    etag = client.get(path).headers["etag"]
    response = client.get(path, headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert response.status_code == status
    assert response.headers["etag"] == etag and response.headers["cache-control"] == "no-cache"
    assert (response.content == b"") == (status == 304)


def fetch(url: str, etag: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _lowered(response.headers.items()), response.read()
    except urllib.error.HTTPError as answer:  # 304 and 4xx
        return answer.code, _lowered(answer.headers.items()), answer.read()


def _lowered(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def test_tiles_follow_the_store_generation_under_uvicorn(demo_copy_path: Path) -> None:
    """A client's copy is current (304) until an import or an undo; then the tile is drawn
    again from the new state (the cache is keyed by the generation)."""
    code, lon, lat = COVERED
    path = tile_url("villages", tile_of(lon, lat, 14))
    with serving(create_app(Settings(store_path=demo_copy_path))) as base:
        status, headers, content = fetch(base + path)
        assert status == 200 and headers["cache-control"] == "no-cache"
        assert by_code(features(content, "villages"))[code]["properties"]["status"] == "covered"
        etag = headers["etag"]
        status, again, body = fetch(base + path, etag)
        assert (status, again["etag"], body) == (304, etag, b"")
        assert fetch(base + path, f'W/{etag}, "other"')[0] == 304

        store = open_store(str(demo_copy_path))
        imports = store.imports()
        register = imports.loc[imports["kind"] == "models", "id"].max()
        store.undo(int(register))  # the register goes: no village is covered any more
        status, after, content = fetch(base + path, etag)
        assert status == 200 and after["etag"] != etag
        assert by_code(features(content, "villages"))[code]["properties"]["status"] == "uncovered"
        assert fetch(base + path, after["etag"])[0] == 304

        assert import_models(store, DEMO_REGISTER).import_id is not None  # and comes back
        store.close()
        status, reimported, content = fetch(base + path, after["etag"])
        assert status == 200 and reimported["etag"] not in {etag, after["etag"]}
        assert by_code(features(content, "villages"))[code]["properties"]["status"] == "covered"


def test_an_import_drops_what_the_tile_cache_kept_for_the_former_state(
    demo_copy_path: Path,
) -> None:
    """Tiles and attribute tables of an older generation are never asked again: kept,
    they would hold a second country's coverage until pushed out."""
    _, lon, lat = COVERED
    path = tile_url("villages", tile_of(lon, lat, 14))
    with TestClient(create_app(Settings(store_path=demo_copy_path))) as client:
        cache = client.app.state.tile_cache  # type: ignore[attr-defined]
        assert client.get(path).status_code == 200
        store = open_store(str(demo_copy_path))
        before = store.generation()
        assert cache.generations() == {before}
        imports = store.imports()
        store.undo(int(imports.loc[imports["kind"] == "models", "id"].max()))
        assert client.get(path).status_code == 200
        assert cache.generations() == {store.generation()} != {before}
