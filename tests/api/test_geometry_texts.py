"""Units' geometry kept as GeoJSON text per store generation (``api.geometry_texts``).

A download written from kept texts must equal, byte for byte, the one written from the
geometry read and encoded for the request (``test_streamed_downloads``' reference writer),
on the demo store and on a generated country, the first time (texts encoded) and the
second (texts kept); with nothing kept (a cap of 0) too. An import that changes a
village's geometry shows in the next download.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient

from bench.generate import generate
from bench.national_store import write_store
from geo_service.api.geometry_texts import ENTRY_OVERHEAD_BYTES, GeometryTexts
from geo_service.app import create_app
from geo_service.coverage.reads import with_unit_geometry
from geo_service.output.geometry import geojson_texts
from geo_service.settings import Settings
from geo_service.store import ImportBatch, ImportSource, UnitQuery, open_store
from tests.api.test_streamed_downloads import expected_bytes, expected_table

DAY = "2025-06-30"


@pytest.fixture(scope="module")
def generated_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated country (every level, a few hundred villages)."""
    return write_store(generate(7, 0.005), tmp_path_factory.mktemp("generated") / "gen.gpkg")


def _download(client: TestClient, params: dict[str, str]) -> bytes:
    response = client.get("/api/coverage", params=params | {"download": "1"})
    assert response.status_code == 200
    return response.content


def _reference(store_path: Path, params: dict[str, str]) -> bytes:
    """What the route answered before texts were kept: geometry read for the request."""
    return expected_bytes(store_path, "/api/coverage", params)


@pytest.mark.parametrize("store", ["demo", "generated"])
@pytest.mark.parametrize("cache_mb", [64, 0])
def test_downloads_from_kept_texts_equal_downloads_encoded_per_request(
    demo_gpkg: Path, generated_gpkg: Path, store: str, cache_mb: int
) -> None:
    path = demo_gpkg if store == "demo" else generated_gpkg
    settings = Settings(store_path=path, geometry_cache_mb=cache_mb, demo=False)
    tables = [{"as_of": DAY}, {"as_of": DAY, "level": "3"}, {"as_of": DAY, "level": "1"}]
    with TestClient(create_app(settings)) as client:
        texts: GeometryTexts = client.app.state.geometry_texts  # type: ignore[attr-defined]
        for params in tables:
            expected = _reference(path, params)
            assert _download(client, params) == expected
            encoded = texts.encoded
            assert _download(client, params) == expected
            # Kept: the second download encodes nothing; nothing kept: all again.
            assert (texts.encoded == encoded) is (cache_mb > 0)
        assert texts.kept_bytes <= settings.geometry_cache_mb * 1024 * 1024


def test_the_texts_kept_are_bounded_by_their_cap(generated_gpkg: Path) -> None:
    store = open_store(str(generated_gpkg))
    frame, _ = expected_table(generated_gpkg, "/api/coverage", {"as_of": DAY})
    texts = GeometryTexts(max_bytes=20 * ENTRY_OVERHEAD_BYTES)
    first = texts.of(store, date.fromisoformat(DAY), frame)
    assert 0 < texts.kept_bytes <= 20 * ENTRY_OVERHEAD_BYTES
    assert texts.of(store, date.fromisoformat(DAY), frame) == first


def test_an_import_that_moves_a_village_shows_in_the_next_download(
    demo_copy_path: Path,
) -> None:
    params = {"as_of": DAY}
    settings = Settings(store_path=demo_copy_path, demo=False)
    with TestClient(create_app(settings)) as client:
        before = _download(client, params)
        assert before == _reference(demo_copy_path, params)
        store = open_store(str(demo_copy_path))
        village = store.units(UnitQuery(as_of=date.fromisoformat(DAY), level=4, limit=1))
        moved = village.copy()
        moved["geometry"] = shapely.affinity.translate(village.geometry.iloc[0], 0.001, 0.001)
        store.apply(ImportBatch(ImportSource("villages", "moved.gpkg", "0" * 64), units=moved))
        after = _download(client, params)
        assert after != before
        assert after == _reference(demo_copy_path, params)


def test_an_answer_of_an_older_generation_does_not_replace_the_kept_texts(
    demo_copy_path: Path,
) -> None:
    store = open_store(str(demo_copy_path))
    day = date.fromisoformat(DAY)
    frame, _ = expected_table(demo_copy_path, "/api/coverage", {"as_of": DAY})
    texts = GeometryTexts(max_bytes=1 << 20)
    generation = store.generation()
    assert texts.of(store, day, frame) == geojson_texts(
        with_unit_geometry(store, day, frame).geometry.values
    )
    kept = texts.kept_bytes
    assert texts.of(store, day, frame.iloc[:3], generation=generation - 1) == texts.of(
        store, day, frame.iloc[:3]
    )
    assert texts.kept_bytes == kept
