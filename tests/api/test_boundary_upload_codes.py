"""Boundary uploads with rows without a code: the same settling as the command line, a
reviewed 'mapping' file in the form, and bad input answered 422 with the store unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from geo_service.store import open_store
from tests.paths import TEST_DATA
from tests.uploading import upload_settings, uploads_on_copy, writer

SEED = TEST_DATA / "boundaries" / "seed_districts_communes_2008.geojson"
NO_PARENT = (
    '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
    '{"ma_xa": null, "ten": "Phường Sơn Đông"}, "geometry": {"type": "Polygon", '
    '"coordinates": [[[105.45, 21.1], [105.46, 21.1], [105.46, 21.11], [105.45, 21.1]]]}}]}'
)


@pytest.fixture
def uploads(demo_gpkg: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    with uploads_on_copy(demo_gpkg, tmp_path) as uploaded:
        yield uploaded


def post(client: TestClient, content: bytes, mapping: bytes | None = None) -> httpx2.Response:
    files = {"file": ("seed.geojson", content, "application/geo+json")}
    if mapping is not None:
        files["mapping"] = ("m.csv", mapping, "text/csv")
    return client.post("/api/imports/boundaries", params={"dry_run": "true"}, files=files)


def test_the_seed_file_upload_reports_the_code_it_took(uploads: tuple[TestClient, Path]) -> None:
    client, _ = uploads
    response = post(client, SEED.read_bytes())
    assert response.status_code == 200, response.text
    (warning,) = [w for w in response.json()["report"]["warnings"] if w["code"] == "code_settled"]
    assert (warning["row"], warning["field"]) == (67, "gso_commune_code_2019")
    assert "took 09613" in warning["message"]


@pytest.mark.parametrize(
    ("content", "mapping", "where"),
    [
        (NO_PARENT.encode(), None, ("seed.geojson", 1, "ma_xa")),
        (
            SEED.read_bytes(),
            "kind,parent_code,given_name,code\ncommune,269,Phường Sơn Đông,1\n".encode(),
            ("m.csv", 2, "code"),
        ),
        (
            SEED.read_bytes(),
            b"kind,parent_code,given_name,code\nhamlet,269,X,1\n",
            ("m.csv", 2, "kind"),
        ),
    ],
)
def test_bad_input_is_answered_422_and_changes_nothing(
    uploads: tuple[TestClient, Path],
    content: bytes,
    mapping: bytes | None,
    where: tuple[str, int, str],
) -> None:
    client, path = uploads
    before = open_store(str(path)).generation()
    response = post(client, content, mapping)
    assert response.status_code == 422, response.text
    errors = response.json()["report"]["errors"]
    assert where in [(e["file"], e["row"], e["field"]) for e in errors], errors
    assert open_store(str(path)).generation() == before


def test_on_an_empty_store_a_codeless_row_is_422(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    with writer(upload_settings(path)) as client:
        response = post(client, SEED.read_bytes())
    assert response.status_code == 422
    (error,) = response.json()["report"]["errors"]
    assert (error["row"], error["field"]) == (67, "gso_commune_code_2019")
    assert not path.exists()


def test_a_reviewed_mapping_is_taken_from_the_form(uploads: tuple[TestClient, Path]) -> None:
    client, _ = uploads
    mapping = "kind,parent_code,given_name,code\ncommune,269,Phường Sơn Đông,09613\n".encode()
    response = post(client, SEED.read_bytes(), mapping)
    assert response.status_code == 200, response.text
    (warning,) = [w for w in response.json()["report"]["warnings"] if w["code"] == "code_settled"]
    assert "took 09613 (Phường Sơn Đông), from m.csv row 2" in warning["message"]


def test_on_an_empty_store_a_mapping_gives_the_code(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    mapping = "kind,parent_code,given_name,code\ncommune,,Phường Sơn Đông,09613\n".encode()
    with writer(upload_settings(path)) as client:
        response = post(client, NO_PARENT.encode(), mapping)
    assert response.status_code == 200, response.text
    (warning,) = response.json()["report"]["warnings"]
    assert "took 09613 from m.csv row 2: a new code, not in the store" in warning["message"]
    assert response.json()["changes"]["units"]["new"] == 1 and not path.exists()
