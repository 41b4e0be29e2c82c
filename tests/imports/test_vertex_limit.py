"""A boundary with too many vertices is refused (issue 10, item 12), in every format and by
every way in: the reader, the pipeline, the command line and the upload API.

One village with 1,000,000 vertices used to be accepted and then weighed 25 MB on every
page. The limit is a setting (``GEO_SERVICE_MAX_VERTICES_PER_FEATURE``); these tests use a
small one, so the files stay small.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from geo_service.app import create_app
from geo_service.cli.main import app
from geo_service.domain import REFORM_DATE
from geo_service.imports import pipeline
from geo_service.imports.options import BoundaryOptions
from geo_service.ingest.report import ImportRejected
from geo_service.ingest.units.boundaries import read_boundaries
from geo_service.settings import DEFAULT_MAX_VERTICES_PER_FEATURE, DEMO_DATA_DIR, Settings
from geo_service.store import Store, UnitQuery, open_store
from geo_service.store.geopackage import GeoPackageStore
from tests.layer_files import write_layer
from tests.tree_digest import tree_digest

LIMIT = 50
# Villages of Xã Quảng La (07054, formed 2025-07-01), near the demo's Thôn 1.
CENTRE = (106.86, 21.27)
HEADER = ("code", "name", "ma_xa", "unit_type")  # a Shapefile keeps 10 characters


def village_ring(vertices: int, index: int = 0) -> shapely.Polygon:
    """A small round village with ``vertices`` distinct corners (plus the closing one)."""
    lon, lat = CENTRE[0] + index * 0.01, CENTRE[1]
    angles = [2 * math.pi * i / vertices for i in range(vertices)]
    corners = [(lon + 0.002 * math.cos(a), lat + 0.002 * math.sin(a)) for a in angles]
    return shapely.Polygon(corners)


def villages(*sizes: int) -> gpd.GeoDataFrame:
    """Villages 07054-9nn of the given sizes (vertices counted as shapely counts them)."""
    rows = [(f"07054-9{i:02d}", f"Thôn Thử {i + 1}", "07054", "thon") for i in range(len(sizes))]
    shapes = [village_ring(size - 1, i) for i, size in enumerate(sizes)]  # + closing vertex
    return gpd.GeoDataFrame(rows, columns=list(HEADER), geometry=shapes, crs="EPSG:4326")


def write_table(frame: gpd.GeoDataFrame, path: Path) -> Path:
    rows = [[*row[:4], geometry.wkt] for *row, geometry in frame.itertuples(index=False)]
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        book.active.append([*HEADER, "wkt"])
        for row in rows:
            book.active.append(row)
        book.save(path)
    else:
        frame.assign(wkt=frame.geometry.to_wkt()).drop(columns="geometry").to_csv(path, index=False)
    return path


def write(frame: gpd.GeoDataFrame, folder: Path, suffix: str) -> Path:
    """The villages in the format of ``suffix``, as a commune's GIS or spreadsheet writes it."""
    if suffix in (".csv", ".xlsx"):
        return write_table(frame, folder / f"thon{suffix}")
    if suffix in (".kml", ".kmz"):  # KML keeps a feature's name in its own Name field
        frame = frame.rename(columns={"name": "Name"})
    return write_layer(frame, folder, "thon", suffix)


FORMATS = [".geojson", ".gpkg", ".shp", ".zip", ".kml", ".kmz", ".csv", ".xlsx"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_format_refuses_a_feature_over_the_limit_naming_its_row(
    tmp_path: Path, suffix: str
) -> None:
    path = write(villages(LIMIT, LIMIT + 1), tmp_path, suffix)
    frame, report = read_boundaries(path, max_vertices=LIMIT)
    [problem] = report.errors
    row = 3 if suffix in (".csv", ".xlsx") else 2  # spreadsheet row, or feature number
    assert (problem.file, problem.row, problem.field) == (path.name, row, "geometry")
    assert problem.code == "too_many_vertices"
    assert f"{LIMIT + 1} vertices" in problem.message and f"limit of {LIMIT}" in problem.message
    assert len(frame) == 0 or len(frame) == 1  # the row over the limit is left out

    _, within = read_boundaries(path, max_vertices=LIMIT + 1)
    assert within.ok, within.summary()


def test_the_default_limit_lets_the_real_boundaries_through() -> None:
    assert Settings().max_vertices_per_feature == DEFAULT_MAX_VERTICES_PER_FEATURE
    for name in ("units_pre2025.geojson", "units_2025.geojson"):
        frame, report = read_boundaries(DEMO_DATA_DIR / name)
        assert report.ok, report.summary()
        largest = shapely.get_num_coordinates(frame.geometry.values).max()
        assert largest < DEFAULT_MAX_VERTICES_PER_FEATURE


def test_the_pipeline_refuses_and_changes_nothing(demo_store: Store, tmp_path: Path) -> None:
    path = write(villages(LIMIT + 1), tmp_path, ".geojson")
    assert isinstance(demo_store, GeoPackageStore)
    before = tree_digest(demo_store.path.parent)
    with pytest.raises(ImportRejected) as caught:
        pipeline.import_boundaries(
            demo_store,
            path,
            BoundaryOptions(level=4, valid_from=REFORM_DATE),
            max_vertices=LIMIT,
        )
    [problem] = caught.value.report.errors
    assert (problem.row, problem.field, problem.code) == (1, "geometry", "too_many_vertices")
    assert tree_digest(demo_store.path.parent) == before


def test_the_command_line_takes_the_limit_from_the_setting(
    demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(villages(LIMIT + 1), tmp_path, ".geojson")
    folder = tmp_path / "store"
    folder.mkdir()
    store = folder / "store.gpkg"
    shutil.copy(demo_gpkg, store)
    args = ["import", "boundaries", str(path), "--level", "4", "--store", str(store)]
    args += ["--valid-from", "2025-07-01"]
    before = tree_digest(folder)

    monkeypatch.setenv("GEO_SERVICE_MAX_VERTICES_PER_FEATURE", str(LIMIT))
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and isinstance(refused.exception, SystemExit), refused.output
    place = f"error: {path.name}, row 1, field 'geometry'"
    assert f"{place}: the geometry has {LIMIT + 1} vertices" in refused.output
    assert "the store was not changed" in refused.output
    assert tree_digest(folder) == before

    monkeypatch.setenv("GEO_SERVICE_MAX_VERTICES_PER_FEATURE", str(LIMIT + 1))
    accepted = CliRunner().invoke(app, args)
    assert accepted.exit_code == 0, accepted.output
    assert "07054-900" in set(open_store(str(store)).units(UnitQuery(level=4))["code"])


def test_an_upload_over_the_limit_is_refused_with_422(demo_gpkg: Path, tmp_path: Path) -> None:
    path = write(villages(LIMIT, LIMIT + 1), tmp_path, ".geojson")
    folder = tmp_path / "store"
    folder.mkdir()
    store = folder / "store.gpkg"
    shutil.copy(demo_gpkg, store)
    token = "vertex-limit-test-token-0123456789"
    settings = Settings(
        store_path=store,
        uploads_enabled=True,
        write_token=SecretStr(token),  # uploads need one
        max_vertices_per_feature=LIMIT,
    )
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"}) as client:
        before = tree_digest(folder)
        response = client.post(
            "/api/imports/boundaries",
            params={"level": "4", "valid_from": "2025-07-01"},
            files={"file": (path.name, path.read_bytes(), "application/geo+json")},
        )
        assert tree_digest(folder) == before
    assert response.status_code == 422, response.text
    [problem] = response.json()["report"]["errors"]
    assert (problem["file"], problem["row"], problem["field"]) == (path.name, 2, "geometry")
    assert "limit of 50" in problem["message"]
