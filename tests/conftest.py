"""Shared fixtures: a real GeoPackage store loaded with the bundled demo."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo_service.app import create_app
from geo_service.imports.demo import load_demo
from geo_service.settings import Settings
from geo_service.store import Store, open_store


@pytest.fixture(scope="session")
def demo_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo loaded once per run through the real pipeline; copy it before changing it."""
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    load_demo(open_store(str(path)))
    return path


@pytest.fixture
def demo_store(demo_gpkg: Path, tmp_path: Path) -> Store:
    """A private copy of the demo store that a test may change."""
    path = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    return open_store(str(path))


@pytest.fixture
def demo_copy_path(demo_gpkg: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store, alone in its folder, so that a test can hash the
    folder before and after to prove nothing else was written there."""
    path = tmp_path / "store" / "demo.gpkg"
    path.parent.mkdir()
    shutil.copy(demo_gpkg, path)
    return path


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    return open_store(str(tmp_path / "empty.gpkg"))


@pytest.fixture(scope="session")
def client(demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real app over a read-only copy of the demo store."""
    path = tmp_path_factory.mktemp("api") / "api.gpkg"
    shutil.copy(demo_gpkg, path)
    with TestClient(create_app(Settings(store_path=path))) as test_client:
        yield test_client
