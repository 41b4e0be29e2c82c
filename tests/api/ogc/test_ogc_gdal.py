"""A client no one here wrote reads the OGC API: GDAL's OAPIF driver (Debian's gdal-bin),
against the real app under uvicorn on the demo store.

``ogrinfo`` lists every collection; ``ogr2ogr`` copies villages and communes into a
GeoPackage with a small page size, so it must follow the ``next`` links to get every
feature, and GDAL sends a property filter to the server as the OpenAPI document offers.
Without ogrinfo these tests skip on a workstation; with CI=true they fail.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyogrio
import pytest

from geo_service.app import create_app
from geo_service.coverage.reads import coverage_as_of
from geo_service.settings import CoveragePolicy, Settings
from geo_service.store import open_store
from tests.api.ogc.test_ogc_core import COLLECTION_IDS
from tests.live import serving

PAGE_SIZE = 4
TIMEOUT_S = 120


def gdal_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} (Debian's gdal-bin) is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the GDAL client tests must run)")
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def ogc_url(demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("ogc-gdal") / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    with serving(create_app(Settings(store_path=path))) as base:
        yield f"{base}/ogc"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
        env={**os.environ, "GDAL_HTTP_TIMEOUT": "60", "CPL_DEBUG": "ON"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def fetched(done: subprocess.CompletedProcess[str], collection: str) -> list[str]:
    """The items URLs GDAL fetched for ``collection`` (from its debug output)."""
    return [
        line for line in done.stderr.splitlines()
        if "Fetch(" in line and f"/collections/{collection}/items" in line
    ]  # fmt: skip


def test_ogrinfo_lists_every_collection(ogc_url: str) -> None:
    done = run(gdal_tool("ogrinfo"), "-ro", "-q", f"OAPIF:{ogc_url}")
    for index, collection in enumerate(COLLECTION_IDS, start=1):
        assert f"{index}: {collection} " in done.stdout + " ", done.stdout


@pytest.mark.parametrize(("collection", "level"), [("villages", 4), ("communes", 3)])
def test_ogr2ogr_pages_through_a_collection(
    ogc_url: str, demo_gpkg: Path, tmp_path: Path, collection: str, level: int
) -> None:
    view = coverage_as_of(open_store(str(demo_gpkg)), CoveragePolicy(), date.today())
    frame = view.result.villages if level == 4 else view.result.rollups
    expected = set(frame.loc[frame["level"] == level, "code"])
    out = tmp_path / "out.gpkg"
    done = run(
        gdal_tool("ogr2ogr"), "-f", "GPKG", str(out), f"OAPIF:{ogc_url}", collection,
        "-oo", f"PAGE_SIZE={PAGE_SIZE}",
    )  # fmt: skip
    copied = pyogrio.read_dataframe(out, layer=collection, columns=["code"])
    assert len(copied) == len(expected)
    assert set(copied["code"]) == expected
    assert copied.crs.to_epsg() == 4326 and copied.geometry.is_valid.all()
    pages = [url for url in fetched(done, collection) if "offset=" in url]
    assert len(pages) >= math.ceil(len(expected) / PAGE_SIZE) - 1


def test_gdal_sends_a_property_filter_to_the_server(ogc_url: str) -> None:
    done = run(
        gdal_tool("ogrinfo"), "-ro", "-al", "-q", f"OAPIF:{ogc_url}", "villages",
        "-where", "status = 'uncovered'",
    )  # fmt: skip
    assert any("status=uncovered" in url for url in fetched(done, "villages"))
    assert "status (String) = uncovered" in done.stdout
    assert "status (String) = covered" not in done.stdout
