"""Coverage and gap downloads are streamed (issue 12, item 5), and say the same as before.

The reference here is the writer the service used before streaming: every value through
``values.plain``, one feature string each, joined once. The streamed answers must equal
its bytes for every table the demo gives (levels, days, a parent, a model type, gaps,
CSV). gzip is checked through a real uvicorn: a client that accepts it gets a gzip stream
that inflates to the same bytes; one that does not gets them as they are.
"""

from __future__ import annotations

import gzip
import http.client
import io
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import geopandas as gpd
import orjson
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo_service.api import serialise
from geo_service.api.views import (
    GAP_CSV_COLUMNS,
    ROLLUP_COLUMNS,
    VILLAGE_COLUMNS,
    policy_of,
    with_place_names,
)
from geo_service.app import create_app
from geo_service.coverage.reads import coverage_as_of
from geo_service.output.geometry import geojson_texts
from geo_service.output.spreadsheet_cells import inert_frame
from geo_service.settings import Settings
from geo_service.store import open_store
from geo_service.values import plain
from tests.live import serving

BEFORE, AFTER = "2025-06-30", "2025-07-01"


def former_feature_collection(
    frame: gpd.GeoDataFrame, columns: Sequence[str], extra: dict[str, Any]
) -> bytes:
    """The FeatureCollection as the service wrote it before streaming."""
    geometries = geojson_texts(frame.geometry.values)
    table = serialise.rounded_coordinates(frame[list(columns)])
    parts = []
    for geometry, row in zip(geometries, table.itertuples(index=False, name=None), strict=True):
        props = {column: plain(value) for column, value in zip(columns, row, strict=True)}
        parts.append(
            b'{"type":"Feature","id":'
            + orjson.dumps(props.get("code"))
            + b',"geometry":'
            + (geometry.encode() if geometry is not None else b"null")
            + b',"properties":'
            + orjson.dumps(props)
            + b"}"
        )
    opening = orjson.dumps({"type": "FeatureCollection", **extra})[:-1] + b',"features":['
    return opening + b",".join(parts) + b"]}"


def former_csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    inert_frame(serialise.rounded_coordinates(frame)).to_csv(buffer, index=False)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def expected_table(store_path: Path, path: str, params: dict[str, str]) -> tuple[Any, list[str]]:
    """The rows and columns a route answers with, built as the route builds them."""
    store = open_store(str(store_path))
    settings = Settings(store_path=store_path)
    as_of = date.fromisoformat(params["as_of"])
    policy = settings.coverage
    if "model_type" in params:
        policy = policy.model_copy(update={"required_types": [params["model_type"]]})
    result = coverage_as_of(store, policy, as_of, params.get("parent")).result
    level = int(params.get("level", 4))
    if path == "/api/gaps":
        villages = result.villages
        gaps = with_place_names(store, as_of, villages[~villages["covered"]])
        columns = GAP_CSV_COLUMNS if params.get("format") == "csv" else VILLAGE_COLUMNS
        # Ties broken by code, so that pages of the list never overlap.
        return gaps.sort_values(["parent_code", "name", "code"], kind="stable"), columns
    if level == 4:
        return with_place_names(store, as_of, result.villages), VILLAGE_COLUMNS
    return result.rollups[result.rollups["level"] == level], ROLLUP_COLUMNS


def expected_bytes(store_path: Path, path: str, params: dict[str, str]) -> bytes:
    frame, columns = expected_table(store_path, path, params)
    if params.get("format") == "csv":
        table = frame[[c for c in columns if c in frame.columns]].copy()
        for column in ("model_types", "missing_types"):
            if column in table.columns:
                table[column] = table[column].map("; ".join)
        return former_csv(table)
    model_type = params.get("model_type")
    extra: dict[str, Any] = {"as_of": params["as_of"], "parent": params.get("parent")}
    if path == "/api/coverage":
        extra |= {"level": int(params.get("level", 4)), "model_type": model_type}
    extra["policy"] = policy_of(Settings(store_path=store_path), model_type)
    # The answer is one page (the whole table, on the demo), and says so.
    extra |= {"next": None, "numberMatched": len(frame), "numberReturned": len(frame)}
    extra["links"] = []
    return former_feature_collection(frame, columns, extra)


TABLES = [
    ("/api/coverage", {"as_of": BEFORE}),
    ("/api/coverage", {"as_of": AFTER}),
    ("/api/coverage", {"as_of": BEFORE, "parent": "09496"}),
    ("/api/coverage", {"as_of": BEFORE, "model_type": "patrol_team"}),
    ("/api/coverage", {"as_of": BEFORE, "level": "3"}),
    ("/api/coverage", {"as_of": AFTER, "level": "1"}),
    ("/api/coverage", {"as_of": BEFORE, "level": "2", "format": "csv"}),
    ("/api/coverage", {"as_of": BEFORE, "format": "csv"}),
    ("/api/gaps", {"as_of": BEFORE}),
    ("/api/gaps", {"as_of": AFTER, "parent": "07054"}),
    ("/api/gaps", {"as_of": BEFORE, "format": "csv"}),
]


@pytest.fixture(scope="module")
def served(demo_gpkg: Path) -> Iterator[str]:
    """The demo under a real uvicorn."""
    with serving(create_app(Settings(store_path=demo_gpkg))) as base_url:
        yield base_url


def fetch(base_url: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
    connection.request("GET", path, headers=headers)
    return connection.getresponse()


@pytest.mark.parametrize(("path", "params"), TABLES)
def test_a_streamed_table_equals_the_former_answer_byte_for_byte(
    client: TestClient, demo_gpkg: Path, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 200
    assert response.content == expected_bytes(demo_gpkg, path, params)


@pytest.mark.parametrize(("path", "params"), [TABLES[0], TABLES[7], TABLES[8]])
def test_gzip_is_sent_to_a_client_that_accepts_it_and_inflates_to_the_same_bytes(
    served: str, demo_gpkg: Path, path: str, params: dict[str, str]
) -> None:
    target = f"{path}?{urlencode(params)}"
    expected = expected_bytes(demo_gpkg, path, params)
    zipped = fetch(served, target, {"Accept-Encoding": "gzip"})
    assert zipped.status == 200
    assert zipped.getheader("Content-Encoding") == "gzip"
    assert zipped.getheader("Vary") == "Accept-Encoding"
    # Streamed: sent in chunks, its length unknown when the headers go.
    assert zipped.getheader("Transfer-Encoding") == "chunked"
    assert zipped.getheader("Content-Length") is None
    body = zipped.read()
    assert len(body) < len(expected)
    assert gzip.decompress(body) == expected
    plain_answer = fetch(served, target, {"Accept-Encoding": "identity"})
    assert plain_answer.getheader("Content-Encoding") is None
    assert plain_answer.getheader("Vary") == "Accept-Encoding"
    assert plain_answer.read() == expected


@pytest.mark.parametrize(
    ("accept_encoding", "compressed"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("gzip;q=0", False),
        ("*;q=0, gzip", True),
        ("gzip;q=zero", False),
        ("deflate", False),
        ("", False),
    ],
)
def test_gzip_follows_the_weights_of_accept_encoding(
    served: str, accept_encoding: str, compressed: bool
) -> None:
    response = fetch(served, f"/api/gaps?as_of={BEFORE}", {"Accept-Encoding": accept_encoding})
    body = response.read()
    assert response.status == 200
    assert (response.getheader("Content-Encoding") == "gzip") is compressed
    assert orjson.loads(gzip.decompress(body) if compressed else body)["type"] == (
        "FeatureCollection"
    )


def test_pieces_are_bounded_whatever_the_table_size(demo_gpkg: Path) -> None:
    """The writer yields one piece per ``FEATURES_PER_CHUNK`` features, never the body."""
    frame, columns = expected_table(demo_gpkg, "/api/coverage", {"as_of": BEFORE})
    repeated = gpd.GeoDataFrame(pd.concat([frame] * 40, ignore_index=True), crs=frame.crs)
    pieces = list(serialise.feature_collection_chunks(repeated, columns))
    per_piece = -(-len(repeated) // serialise.FEATURES_PER_CHUNK)
    assert len(pieces) == per_piece + 2  # the opening, the pieces, the closing
    assert b"".join(pieces) == former_feature_collection(repeated, columns, {})
    rows = list(serialise.csv_chunks(frame[["code", "name"]]))
    assert b"".join(rows) == former_csv(frame[["code", "name"]])
