"""Uploading files over HTTP: same pipeline, same report, size limit, off by default."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import open_store
from tests.paths import TEST_DATA
from tests.uploading import upload_settings, uploads_on_copy, writer

NEW_TEAM = (
    "Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Ngày ra mắt,Số thành viên\n"
    "UP-1,patrol_team,07057,Thôn 4,1/3/2026,9\n"
)


@pytest.fixture
def uploads(demo_gpkg: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    with uploads_on_copy(demo_gpkg, tmp_path, max_upload_bytes=64 * 1024) as uploaded:
        yield uploaded


def post(
    client: TestClient, kind: str, name: str, content: bytes, **params: str
) -> httpx2.Response:
    return client.post(
        f"/api/imports/{kind}",
        params=params,
        files={"file": (name, content, "application/octet-stream")},
    )


def test_uploads_are_off_by_default(client: TestClient) -> None:
    response = post(client, "models", "r.csv", NEW_TEAM.encode())
    assert response.status_code == 403
    assert "GEO_SERVICE_UPLOADS_ENABLED" in response.json()["detail"]


def test_upload_imports_logs_and_undoes(uploads: tuple[TestClient, Path]) -> None:
    client, path = uploads
    dry = post(client, "models", "new.csv", NEW_TEAM.encode(), dry_run="true").json()
    assert dry["dry_run"] and dry["import_id"] is None and dry["changed"]
    assert "UP-1" not in set(open_store(str(path)).models()["model_id"])
    body = post(client, "models", "new.csv", NEW_TEAM.encode()).json()
    assert body["changes"]["models"]["new"] == 1 and body["import_id"] is not None
    log = client.get("/api/imports").json()["imports"]
    assert log[-1]["file_name"] == "new.csv" and len(log[-1]["sha256"]) == 64
    again = post(client, "models", "new.csv", NEW_TEAM.encode()).json()
    assert again["changed"] is False and again["import_id"] is None
    assert client.post(f"/api/imports/{body['import_id']}/undo").status_code == 200
    assert "UP-1" not in set(open_store(str(path)).models()["model_id"])
    repeat = client.post(f"/api/imports/{body['import_id']}/undo")
    assert repeat.status_code == 409 and "already undone" in repeat.json()["detail"]


def test_rejected_upload_returns_the_report_and_changes_nothing(
    uploads: tuple[TestClient, Path],
) -> None:
    client, path = uploads
    before = len(open_store(str(path)).imports())
    bad = NEW_TEAM.replace("07057", "12345").encode()
    response = post(client, "models", "../../etc/bad.csv", bad)
    assert response.status_code == 422
    (error,) = response.json()["report"]["errors"]
    assert (error["file"], error["row"], error["field"]) == ("bad.csv", 2, "Mã xã")
    assert "unknown commune code" in error["message"]
    assert len(open_store(str(path)).imports()) == before


def test_boundaries_upload_with_options(demo_gpkg: Path, tmp_path: Path) -> None:
    path = tmp_path / "b.gpkg"
    shutil.copy(demo_gpkg, path)
    content = (DEMO_DATA_DIR / "units_2025.geojson").read_bytes()
    with writer(upload_settings(path)) as client:
        response = post(client, "boundaries", "units_2025.geojson", content, dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["changes"]["units"]["unchanged"] == 26


def test_oversized_uploads_get_413_before_anything_is_written(
    uploads: tuple[TestClient, Path],
) -> None:
    client, path = uploads
    before = len(open_store(str(path)).imports())
    response = post(client, "models", "big.csv", b"x" * (65 * 1024))
    assert response.status_code == 413 and "larger than the limit" in response.json()["detail"]
    assert len(open_store(str(path)).imports()) == before


def test_a_200_mb_upload_is_refused_with_the_default_limit(demo_gpkg: Path, tmp_path: Path) -> None:
    path = tmp_path / "big.gpkg"
    shutil.copy(demo_gpkg, path)
    settings = upload_settings(path)
    assert settings.max_upload_bytes < 200 * 2**20

    def body() -> Iterator[bytes]:  # streamed: no Content-Length, never held whole
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        chunk = b"0" * 2**20
        for _ in range(200):
            yield chunk
        yield b"\r\n--B--\r\n"

    with writer(settings) as client:
        response = client.post(
            "/api/imports/models",
            content=body(),
            headers={"content-type": "multipart/form-data; boundary=B"},
        )
    assert response.status_code == 413
    assert len(open_store(str(path)).imports()) == len(open_store(str(demo_gpkg)).imports())


def test_an_upload_must_be_multipart(uploads: tuple[TestClient, Path]) -> None:
    client, _ = uploads
    response = client.post(
        "/api/imports/models", content=NEW_TEAM.encode(), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 415
    assert client.post("/api/imports/nonsense").status_code == 422


MESSY = TEST_DATA / "registers" / "messy_register.csv"


def test_register_upload_answers_with_the_match_report_and_takes_a_mapping(
    uploads: tuple[TestClient, Path], tmp_path: Path
) -> None:
    client, path = uploads
    before = len(open_store(str(path)).imports())
    dry = post(client, "models", MESSY.name, MESSY.read_bytes(), dry_run="true")
    assert dry.status_code == 422
    report = dry.json()["matches"]
    counts = report["summary"]
    assert (counts["matched"], counts["unmatched"], counts["ambiguous"]) == (8, 2, 1)
    chosen = {"Xóm 4": "07057-004", "TDP 2 Tiền Hân": "09595-003", "Thieu Hoa": "15772"}
    for row in report["rows"]:  # a person reviews the report and picks the codes
        for kind in ("commune", "village"):
            lookup = row.get(kind)
            if lookup and lookup["status"] in {"unmatched", "ambiguous"}:
                lookup["chosen_code"] = chosen[lookup["given_name"]]
    mapping = json.dumps(report, ensure_ascii=False).encode("utf-8")
    response = client.post(
        "/api/imports/models",
        files={
            "file": (MESSY.name, MESSY.read_bytes(), "text/csv"),
            "mapping": ("review.json", mapping, "application/json"),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["matches"]["summary"]["matched"] == 11
    assert len(open_store(str(path)).imports()) == before + 1


@pytest.mark.parametrize("filename", ["..", ".", "../..", "C:\\temp\\..\\reg.csv"])
def test_odd_file_names_never_escape_the_upload_folder(
    uploads: tuple[TestClient, Path], filename: str
) -> None:
    client, _ = uploads
    response = post(client, "models", filename, NEW_TEAM.encode(), dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["changes"]["models"]["new"] == 1
