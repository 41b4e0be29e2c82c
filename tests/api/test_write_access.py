"""Who may write over HTTP (issue 10, item 10): the server's token, sent as a Bearer
header; never a page on another site; and no uploads without a token at all."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from geo_service.app import create_app
from geo_service.settings import Settings
from geo_service.store import open_store
from tests.tree_digest import tree_digest
from tests.uploading import AUTHORIZED, upload_settings

NEW_TEAM = (
    "Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Ngày ra mắt,Số thành viên\n"
    "UP-1,patrol_team,07057,Thôn 4,1/3/2026,9\n"
).encode()
GEO_SERVICE = Path(sys.executable).with_name("geo-service")


@pytest.fixture
def server(demo_copy_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """A server taking uploads; the client sends no token unless a test gives one."""
    with TestClient(create_app(upload_settings(demo_copy_path))) as client:
        yield client, demo_copy_path


def upload(client: TestClient, headers: dict[str, bytes]) -> int:
    response = client.post(
        "/api/imports/models", files={"file": ("r.csv", NEW_TEAM)}, headers=headers
    )
    return response.status_code


def test_a_write_without_the_token_is_refused_with_401_and_changes_nothing(
    server: tuple[TestClient, Path],
) -> None:
    client, path = server
    before = tree_digest(path.parent)
    latest = int(open_store(str(path)).imports()["id"].max())
    wrong = ({"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": "Basic eDp5"})
    for headers in (None, *wrong):
        response = client.post(
            "/api/imports/models", files={"file": ("r.csv", NEW_TEAM)}, headers=headers
        )
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer"), headers
        assert "token" in response.json()["detail"]
        undo = client.post(f"/api/imports/{latest}/undo", headers=headers)
        assert undo.status_code == 401, headers
    assert tree_digest(path.parent) == before


def test_a_token_with_letters_beyond_ascii_is_refused_not_an_error(
    server: tuple[TestClient, Path],
) -> None:
    client, _ = server
    # hmac.compare_digest refuses str with non-ASCII letters: the token is compared as bytes.
    assert upload(client, {"Authorization": "Bearer mã-bí-mật-0123456789".encode()}) == 401


def test_the_token_lets_a_write_through(server: tuple[TestClient, Path]) -> None:
    client, path = server
    response = client.post(
        "/api/imports/models", files={"file": ("r.csv", NEW_TEAM)}, headers=AUTHORIZED
    )
    assert response.status_code == 200, response.text
    import_id = response.json()["import_id"]
    assert "UP-1" in set(open_store(str(path)).models()["model_id"])
    assert client.post(f"/api/imports/{import_id}/undo", headers=AUTHORIZED).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {"Origin": "https://testserver"},  # same host, another scheme: another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
    ],
)
def test_writes_from_another_site_are_refused_even_with_the_token(
    server: tuple[TestClient, Path], headers: dict[str, str]
) -> None:
    client, path = server
    before = tree_digest(path.parent)
    latest = int(open_store(str(path)).imports()["id"].max())
    for token in ({}, AUTHORIZED):
        response = client.post(
            "/api/imports/models",
            files={"file": ("r.csv", NEW_TEAM)},
            headers={**headers, **token},
        )
        assert response.status_code == 403, (headers, token)
        assert "another site" in response.json()["detail"]
        undo = client.post(f"/api/imports/{latest}/undo", headers={**headers, **token})
        assert undo.status_code == 403
    assert tree_digest(path.parent) == before


def test_the_service_s_own_pages_may_write(server: tuple[TestClient, Path]) -> None:
    client, _ = server
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin", **AUTHORIZED}
    response = client.post(
        "/api/imports/models",
        params={"dry_run": "true"},
        files={"file": ("r.csv", NEW_TEAM)},
        headers=own,
    )
    assert response.status_code == 200, response.text


def test_cors_stays_closed(server: tuple[TestClient, Path]) -> None:
    client, _ = server
    preflight = client.options(
        "/api/imports/models",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    read = client.get("/api/imports", headers={"Origin": "http://evil.example"})
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers


def test_the_docs_offer_the_bearer_token(server: tuple[TestClient, Path]) -> None:
    client, _ = server
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {s["scheme"] for s in schemes.values()} == {"bearer"}
    assert schema["paths"]["/api/imports/{kind}"]["post"]["security"]
    assert "security" not in schema["paths"]["/api/imports"]["get"]


@pytest.mark.parametrize("token", [None, "", "   ", "short"])
def test_uploads_without_a_real_token_refuse_to_start(tmp_path: Path, token: str | None) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(store_path=tmp_path / "s.gpkg", uploads_enabled=True, write_token=token)
    (problem,) = caught.value.errors()
    assert problem["loc"] == ("write_token",)
    assert "GEO_SERVICE_WRITE_TOKEN" in problem["msg"]
    assert not (tmp_path / "s.gpkg").exists()


def test_serve_with_uploads_and_no_token_prints_why_and_exits_2(tmp_path: Path) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GEO_SERVICE_")
    }
    store = tmp_path / "s.gpkg"
    result = subprocess.run(
        [str(GEO_SERVICE), "serve", "--store", str(store), "--port", "0"],
        env={**environment, "GEO_SERVICE_UPLOADS_ENABLED": "true"},
        capture_output=True,
        text=True,
        timeout=30,  # the old code served instead of exiting
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "write_token: uploads are enabled but GEO_SERVICE_WRITE_TOKEN is not set" in output
    assert "Traceback" not in output
    assert not store.exists()
