"""Uploading a register with site points over HTTP (issue 13, item 6): ``crs`` for X/Y in
metres, a point layer as the file, and bad points answered 422 with the store unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyproj import CRS, Transformer

from geo_service.ingest.crs import vn2000_pipeline
from geo_service.store import open_store
from tests.camera_sites import THON_1, THON_4
from tests.uploading import uploads_on_copy

HEADER = "Mã mô hình,Loại mô hình,Mã xã,Tên tổ,X,Y\n"


@pytest.fixture
def uploads(demo_gpkg: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    with uploads_on_copy(demo_gpkg, tmp_path) as uploaded:
        yield uploaded


def xy_register(*points: tuple[float, float]) -> bytes:
    pipeline = Transformer.from_pipeline(vn2000_pipeline(CRS.from_epsg(9210).to_wkt()))
    rows = []
    for number, point in enumerate(points, start=1):
        easting, northing = pipeline.transform(*point, direction="INVERSE")
        rows.append(f"CAM-U,security_camera,07057,Camera {number},{easting:.3f},{northing:.3f}\n")
    return (HEADER + "".join(rows)).encode()


def post(client: TestClient, name: str, content: bytes, **params: str) -> dict[str, object]:
    response = client.post(
        "/api/imports/models", params=params, files={"file": (name, content, "text/csv")}
    )
    return {"status": response.status_code, **response.json()}


def test_xy_with_crs_are_placed(uploads: tuple[TestClient, Path]) -> None:
    client, path = uploads
    answer = post(client, "cameras.csv", xy_register(THON_1, THON_4), crs="EPSG:9210")
    assert answer["status"] == 200, answer
    sites = open_store(str(path)).teams(model_ids=["CAM-U"])
    assert sites["unit_code"].tolist() == ["07057-001", "07057-004"]


def test_a_point_layer_upload(uploads: tuple[TestClient, Path]) -> None:
    client, path = uploads
    layer = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"Mã mô hình":"CAM-G","Loại mô hình":"security_camera","Mã xã":"07057"},'
        f'"geometry":{{"type":"Point","coordinates":[{THON_4[0]},{THON_4[1]}]}}}}]}}'
    )
    answer = post(client, "cameras.geojson", layer.encode())
    assert answer["status"] == 200, answer
    assert open_store(str(path)).teams(model_ids=["CAM-G"])["unit_code"].tolist() == ["07057-004"]


@pytest.mark.parametrize(
    ("crs", "words"),
    [
        (None, "look like metres"),  # metres without crs
        ("EPSG:99999", "unknown CRS"),
        ("EPSG:4326", "look like metres"),  # a geographic crs for metres
    ],
)
def test_bad_points_are_422_and_change_nothing(
    uploads: tuple[TestClient, Path], crs: str | None, words: str
) -> None:
    client, path = uploads
    before = path.read_bytes()
    params = {} if crs is None else {"crs": crs}
    answer = post(client, "cameras.csv", xy_register(THON_1), **params)
    assert answer["status"] == 422
    assert words in str(answer["report"])
    assert path.read_bytes() == before
