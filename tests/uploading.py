"""Settings and clients for tests that write over HTTP: uploads on, with the write token."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from geo_service.app import create_app
from geo_service.settings import Settings

WRITE_TOKEN = "test-write-token-0123456789"
AUTHORIZED = {"Authorization": f"Bearer {WRITE_TOKEN}"}


def upload_settings(store_path: Path, **values: object) -> Settings:
    """Settings of a server that takes uploads (a token is then required)."""
    return Settings(
        store_path=store_path,
        uploads_enabled=True,
        write_token=SecretStr(WRITE_TOKEN),
        **values,  # type: ignore[arg-type]
    )


def writer(settings: Settings) -> TestClient:
    """A client that sends the write token with every request, as an editor's script would."""
    return TestClient(create_app(settings), headers=AUTHORIZED)


@contextmanager
def uploads_on_copy(
    store: Path, folder: Path, **values: object
) -> Iterator[tuple[TestClient, Path]]:
    """A writing client of a copy of ``store`` made in ``folder``, and the copy's path."""
    path = folder / "uploads.gpkg"
    shutil.copy(store, path)
    with writer(upload_settings(path, **values)) as client:
        yield client, path
