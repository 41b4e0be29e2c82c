"""The import floor copies exactly the rows an import wrote, and reads every geometry."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bench.bench_import import template_store, write_inputs
from bench.import_floor import geometry_s, store_rows_s
from geo_service.imports import pipeline
from geo_service.store import open_store


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, int]:
    folder = tmp_path_factory.mktemp("floor")
    parents, villages, count = write_inputs(seed=3, scale=0.005, folder=folder)
    template = template_store(parents, folder)
    store_path = folder / "store.gpkg"
    shutil.copyfile(template, store_path)
    outcome = pipeline.import_boundaries(open_store(str(store_path)), villages)
    assert outcome.changes["units"].new == count
    return template, store_path, villages, count


def _units(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute("SELECT count(*) FROM units").fetchone()
    return int(count)


def test_the_rows_floor_inserts_the_imported_rows_into_a_copy(
    imported: tuple[Path, Path, Path, int], tmp_path: Path
) -> None:
    template, store_path, _, count = imported
    before = _units(template), _units(store_path)
    assert store_rows_s(template, store_path, tmp_path) > 0
    # It works on a copy it removes: neither store changes.
    assert (_units(template), _units(store_path)) == before
    assert before[1] - before[0] == count
    assert not list(tmp_path.iterdir())


def test_the_rows_floor_refuses_a_store_with_nothing_imported(
    imported: tuple[Path, Path, Path, int], tmp_path: Path
) -> None:
    template = imported[0]
    with pytest.raises(AssertionError, match="inserted 0 rows of 0"):
        store_rows_s(template, template, tmp_path)


def test_the_geometry_floor_reads_and_validates_every_polygon(
    imported: tuple[Path, Path, Path, int],
) -> None:
    _, _, villages, count = imported
    assert geometry_s(villages, count) > 0
    with pytest.raises(AssertionError, match=f"expected {count + 1}"):
        geometry_s(villages, count + 1)
