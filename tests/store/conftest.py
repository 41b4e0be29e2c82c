"""One contract suite, run on every store backend (the PostGIS store joins the params)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo_service.store import Store, open_store

BACKENDS = ["geopackage"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "geopackage":
        opened = open_store(str(tmp_path / "contract.gpkg"))
    else:  # pragma: no cover - added with the PostGIS backend
        raise AssertionError(request.param)
    yield opened
    opened.close()
