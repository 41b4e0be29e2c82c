"""The GeoPackage store's whole-table reads through GDAL's Arrow stream (``gpkg_arrow``):
taken for whole reads only, and the ``sqlite3`` read when GDAL cannot read the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo_service.store import ImportBatch, UnitQuery, gpkg_arrow
from geo_service.store.geopackage import GeoPackageStore
from tests.store.samples import COMMUNE_NEW, COMMUNE_OLD, PROVINCE, SOURCE, units_frame


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    opened = GeoPackageStore(tmp_path / "store.gpkg")
    opened.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, COMMUNE_NEW])))
    return opened


def test_whole_reads_go_through_gdal_and_filtered_reads_do_not(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers: list[str] = []
    read = gpkg_arrow.whole_layer

    def counted(path: Path, layer: str) -> object:
        layers.append(layer)
        return read(path, layer)

    monkeypatch.setattr(gpkg_arrow, "whole_layer", counted)
    store.units(UnitQuery(with_geometry=False))
    store.models()
    store.teams()
    assert layers == ["units", "models", "teams"]
    store.units()  # with geometry
    store.units(UnitQuery(with_geometry=False, level=1))
    store.units(UnitQuery(with_geometry=False, limit=1))
    store.models(model_ids=["M1"])
    assert layers == ["units", "models", "teams"]


def test_a_file_gdal_cannot_read_is_read_by_sqlite(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_gdal = store.units(UnitQuery(with_geometry=False))
    monkeypatch.setattr(gpkg_arrow, "whole_layer", lambda path, layer: None)
    pd.testing.assert_frame_equal(store.units(UnitQuery(with_geometry=False)), by_gdal)


def test_gdal_gives_up_on_what_is_not_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "not.gpkg"
    path.write_bytes(b"not a database" * 100)
    assert gpkg_arrow.whole_layer(path, "units") is None
