"""Uploads get the same input checks as the command line (issue 10, items 14 and 15): a
register with a phone number in a role title, or boundaries with a formula for a code,
answer 422 naming the row and the field, and nothing reaches /api/models or the CSV."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from geo_service.app import create_app
from geo_service.settings import Settings
from tests.tree_digest import tree_digest

TOKEN = "input-checks-test-token-0123456789"
REGISTER = (
    "Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Ngày ra mắt,Tên tổ,Số thành viên,Chức danh tổ trưởng\n"
    'UP-P1,patrol_team,07057,Thôn 4,1/3/2024,Tổ 1,9,"Tổ trưởng Nguyễn Văn An, SĐT 0912 345 678"\n'
)
SQUARE = [[[106.86, 21.27], [106.87, 21.27], [106.87, 21.28], [106.86, 21.28], [106.86, 21.27]]]
FORMULA_CODE = '=HYPERLINK("http://example.invalid/x","x")'


@pytest.fixture
def uploads(demo_gpkg: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    folder = tmp_path / "store"
    folder.mkdir()
    shutil.copy(demo_gpkg, folder / "store.gpkg")
    settings = Settings(
        store_path=folder / "store.gpkg", uploads_enabled=True, write_token=SecretStr(TOKEN)
    )
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings), headers=headers) as client:
        yield client, folder


def test_a_phone_number_in_a_role_title_is_refused_and_never_shown(
    uploads: tuple[TestClient, Path],
) -> None:
    client, folder = uploads
    before = tree_digest(folder)
    response = client.post(
        "/api/imports/models", files={"file": ("so_to.csv", REGISTER.encode(), "text/csv")}
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["report"]["errors"]
    assert (problem["file"], problem["row"], problem["field"]) == (
        "so_to.csv",
        2,
        "Chức danh tổ trưởng",
    )
    assert "a phone number (091* *** *78)" in problem["message"]
    assert "0912 345 678" not in response.text
    assert tree_digest(folder) == before
    models = client.get("/api/models", params={"as_of": "2025-06-30"}).text
    assert "UP-P1" not in models and "0912" not in models


def test_a_formula_for_a_code_is_refused_and_never_reaches_the_csv(
    uploads: tuple[TestClient, Path],
) -> None:
    client, folder = uploads
    village = {
        "type": "Feature",
        "properties": {"code": FORMULA_CODE, "name": "Thôn Mới", "parent_code": "07054"},
        "geometry": {"type": "Polygon", "coordinates": SQUARE},
    }
    body = json.dumps({"type": "FeatureCollection", "features": [village]}).encode()
    before = tree_digest(folder)
    response = client.post(
        "/api/imports/boundaries",
        params={"level": "4", "valid_from": "2025-07-01"},
        files={"file": ("thon.geojson", body, "application/geo+json")},
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["report"]["errors"]
    assert (problem["row"], problem["field"], problem["code"]) == (1, "code", "invalid_code")
    assert tree_digest(folder) == before
    for path in ("/api/coverage", "/api/gaps"):
        csv = client.get(path, params={"format": "csv", "as_of": "2025-08-01"}).text
        assert "HYPERLINK" not in csv
