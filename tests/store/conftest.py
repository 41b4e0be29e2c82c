"""The store contract runs on every backend: each entry of ``BACKENDS`` opens a new, empty
store for one test. A second backend (PostGIS) adds its entry here and nothing else; its
entry may skip when its server is not at hand. Tests of one backend's own machinery (the
GeoPackage file, its R-tree, its SQL helpers) live in ``test_gpkg_*`` modules and use no
fixture from here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from geo_service.store import Store, open_store


def _geopackage(folder: Path) -> Store:
    return open_store(str(folder / "contract.gpkg"))


BACKENDS: dict[str, Callable[[Path], Store]] = {"geopackage": _geopackage}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = BACKENDS[request.param](tmp_path)
    yield opened
    opened.close()
