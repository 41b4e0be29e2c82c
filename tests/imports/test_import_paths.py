"""The fast import paths give the same answers as the plain ones (correctness, not timing).

- ``changes.compare`` canonicalises whole columns and compares geometry in GEOS: it must
  agree with value-by-value ``canonical`` on every kind of value;
- ``carry_forward`` reads only part of the store: in any import order the store must end
  as complete as a recompute over the whole store would make it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from bench.bench_import import template_store, write_inputs
from geo_service.hierarchy import carry_villages_forward
from geo_service.imports.changes import TableChanges, canonical, compare, same_geometries
from geo_service.imports.pipeline import import_boundaries, import_lineage, import_villages
from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import ImportBatch, ImportSource, Store, UnitQuery, open_store
from geo_service.store.gpkg_write import BULK_RTREE_MIN
from tests.store.gpkg_checks import assert_rtree_matches_table
from tests.store.samples import PROVINCE, units_frame

SOURCE = ImportSource("boundaries", "speed.gpkg", "0" * 64)


# -- change detection ------------------------------------------------------------------------


def _slow_compare(
    existing: pd.DataFrame, incoming: pd.DataFrame, key: list[str], columns: list[str]
) -> TableChanges:
    """The definition: every value through ``canonical``, rows compared as tuples."""

    def rows(frame: pd.DataFrame) -> dict[tuple[object, ...], tuple[object, ...]]:
        found = {}
        for record in frame[columns].itertuples(index=False, name=None):
            values = tuple(canonical(v) for v in record)
            named = dict(zip(columns, values, strict=True))
            found[tuple(named[k] for k in key)] = values
        return found

    before, after = rows(existing), rows(incoming)
    new = sum(1 for k in after if k not in before)
    updated = sum(1 for k, v in after.items() if k in before and before[k] != v)
    return TableChanges(new, updated, len(after) - new - updated, 0)


def test_column_wise_compare_agrees_with_value_by_value_canonical_form() -> None:
    square = box(0, 0, 1, 1)
    existing = gpd.GeoDataFrame(
        {
            "code": ["a", "b", "c", "d", "e", "f", "g"],
            "valid_from": ["2020-01-01", None, "2020-01-01", None, None, None, None],
            "population": pd.array([3, None, 5, 7, 1, 1, 1], dtype="Int64"),
            "label_lon": [1.5, np.nan, 2.0, 3.0, 0.0, 0.0, 0.0],
            "extra": [{"x": 1.0}, {}, {}, {}, {}, {}, {}],
            "name": ["Thôn 1", None, "x", "y", "z", "z", "z"],
        },
        geometry=[MultiPolygon([square]), None, square, square, square, square, square],
    )
    incoming = gpd.GeoDataFrame(
        {
            "code": ["a", "b", "c", "d", "e", "f", "new", "f"],
            # a date object equals its ISO text; a changed date is a new key
            "valid_from": pd.Series(
                [date(2020, 1, 1), None, "2020-01-02", None, None, None, None, None], dtype=object
            ),
            "population": [3.0, np.nan, 5.0, 8.0, 1.0, 1.0, 1.0, 1.0],  # whole floats == ints
            "label_lon": [1.5, None, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0],
            "extra": [{"x": 1}, {}, {}, {}, {}, {"y": 2}, {}, {}],  # the last "f" wins
            "name": ["Thôn 1", np.nan, "x", "y", "z", "z", "z", "z"],
        },
        # a Polygon equals the same MultiPolygon; e's geometry moved
        geometry=[square, None, square, square, box(0, 0, 2, 2), square, square, square],
    )
    key, columns = ["code", "valid_from"], [*existing.columns]
    fast = compare(existing, incoming, key, columns)
    assert fast == _slow_compare(existing, incoming, key, columns)
    # a unchanged, b unchanged, c new (new start), d population, e geometry, f unchanged, new
    assert fast == TableChanges(new=2, updated=2, unchanged=3)
    assert compare(existing, incoming, key, columns, replace_all=True).removed == 2


def test_geometries_compared_in_place_agree_with_their_canonical_wkb() -> None:
    """``same_geometries`` (GEOS, no encoding) answers as equal canonical WKB would, for
    every pair of a sample: types, empties, missing, ring order, holes, heights."""
    sample = [
        "MULTIPOLYGON EMPTY",
        "POLYGON EMPTY",
        "POLYGON ((0 0, 1 0, 1 1, 0 0))",
        "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))",
        "MULTIPOLYGON (((1 0, 1 1, 0 0, 1 0)))",
        "MULTIPOLYGON (((0 0, 1 0, 1 1.0000001, 0 0)))",
        "POLYGON ((0 0, 1 0, 1 1, 0 0), (0.5 0.2, 0.6 0.2, 0.6 0.3, 0.5 0.2))",
        "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))",
        "POLYGON Z ((0 0 1, 1 0 1, 1 1 1, 0 0 1))",
        "POLYGON Z ((0 0 2, 1 0 2, 1 1 2, 0 0 2))",
        "POINT (1 2)",
        "POINT Z (1 2 3)",
        "LINESTRING (0 0, 1 1)",
        None,
    ]
    shapes = np.array([None if s is None else shapely.from_wkt(s) for s in sample], dtype=object)
    first, second = (pair.ravel() for pair in np.meshgrid(shapes, shapes))
    expected = [canonical(a) == canonical(b) for a, b in zip(first, second, strict=True)]
    assert same_geometries(first, second).tolist() == expected
    assert sum(expected) > len(sample)  # some pairs of different rows are equal


# -- carry-forward from a partial read -----------------------------------------------------


STEPS: dict[str, Callable[[Store], object]] = {
    "pre": lambda s: import_boundaries(s, DEMO_DATA_DIR / "units_pre2025.geojson"),
    "post": lambda s: import_boundaries(s, DEMO_DATA_DIR / "units_2025.geojson"),
    "lineage": lambda s: import_lineage(s, DEMO_DATA_DIR / "lineage_2025.csv"),
    "villages": lambda s: import_villages(s, DEMO_DATA_DIR / "village_points.csv"),
}


@pytest.mark.parametrize(
    ("order", "village_rows"),
    [
        (("pre", "villages", "post", "lineage"), 82),  # the lineage import carries them
        (("pre", "villages", "lineage", "post"), 82),  # the successor communes carry them
        (("pre", "post", "lineage", "villages"), None),  # the village import carries itself
    ],
)
def test_partial_reads_carry_as_completely_as_a_full_recompute(
    tmp_path: Path, order: tuple[str, ...], village_rows: int | None
) -> None:
    store = open_store(str(tmp_path / "ordered.gpkg"))
    for step in order:
        STEPS[step](store)
        # what the import did not carry, a recompute over the whole store would find
        everything = carry_villages_forward(store.units(), store.lineage())
        assert everything.new_rows.empty and everything.closures == []
    villages = store.units(UnitQuery(level=4))
    if village_rows is not None:  # 41 villages, each before and after 2025
        assert len(villages) == village_rows
        before = villages[villages["valid_from"].isna()]
        assert set(before["valid_to"]) == {date(2025, 7, 1)}
        after = villages[villages["valid_from"] == date(2025, 7, 1)]
        assert set(after["code"]) == set(before["code"])
        moved = dict(zip(after["code"], after["parent_code"], strict=True))
        assert moved["07057-001"] == "07054" and moved["09595-001"] == "09574"


def test_an_old_village_list_imported_again_after_the_reform_changes_nothing(
    tmp_path: Path,
) -> None:
    store = open_store(str(tmp_path / "reform.gpkg"))
    for step in ("pre", "post", "lineage"):
        STEPS[step](store)
    villages = gpd.GeoDataFrame(
        {"code": ["07057-101", "07057-102"], "name": ["Thôn Mới 1", "Thôn Mới 2"]}
        | {"parent_code": ["07057", "07057"], "level": [4, 4]},
        geometry=[box(107.0, 21.0, 107.01, 21.01), box(107.01, 21.0, 107.02, 21.01)],
        crs="EPSG:4326",
    )  # undated and open, as a list drawn before the reform would be
    path = tmp_path / "thon_bang_ca.geojson"
    villages.to_file(path, driver="GeoJSON", engine="pyogrio")
    first = import_boundaries(store, path)
    assert first.changes["units"] == TableChanges(new=4)  # each village, and its new row
    log = store.imports()
    again = import_boundaries(store, path)
    assert not again.changed and again.import_id is None
    pd.testing.assert_frame_equal(store.imports(), log)
    for day in (date(2024, 1, 1), date(2026, 1, 1)):
        tree = store.units(UnitQuery(as_of=day, level=4))
        named = tree[tree["code"].str.startswith("07057-1")]
        assert len(named) == 2 and not named["code"].duplicated().any()
        assert set(named["parent_code"]) == {"07057" if day.year == 2024 else "07054"}


# -- the national path, small ----------------------------------------------------------------


@pytest.mark.parametrize("order", ["by code", "shuffled"])
def test_import_of_a_canonical_village_file_and_its_reimport(tmp_path: Path, order: str) -> None:
    # 1,600 villages: enough for the bulk R-tree build (gpkg_write.BULK_RTREE_MIN)
    parents, villages, count = write_inputs(seed=3, scale=0.02, folder=tmp_path)
    assert count >= BULK_RTREE_MIN
    if order == "shuffled":  # rows are inserted in code order whatever the file's order
        in_file = pyogrio.read_dataframe(villages)
        shuffled = in_file.iloc[np.random.default_rng(3).permutation(count)]
        assert not shuffled["code"].is_monotonic_increasing
        pyogrio.write_dataframe(shuffled, villages, layer="villages", driver="GPKG")
    store_path = template_store(parents, tmp_path)
    store = open_store(str(store_path))
    first = import_boundaries(store, villages)
    assert first.changes["units"] == TableChanges(new=count)
    assert first.import_id is not None
    assert_rtree_matches_table(store_path)
    stored = store.units(UnitQuery(level=4))
    assert len(stored) == count and stored["parent_code"].notna().all()
    with sqlite3.connect(store_path) as connection:
        fid_order = [
            c for (c,) in connection.execute("SELECT code FROM units WHERE level = 4 ORDER BY fid")
        ]
    assert fid_order == sorted(fid_order)
    expected = pyogrio.read_dataframe(villages).set_index("code")
    assert shapely.equals(
        stored.set_index("code").geometry.sort_index().values,
        expected.geometry.sort_index().values,
    ).all()
    # GDAL's spatial filter (through the R-tree) finds what a scan of the table finds
    box_ = (105.0, 20.0, 106.0, 21.0)
    found = pyogrio.read_dataframe(store_path, layer="units", bbox=box_)
    every = store.units()
    hits = every[every.geometry.intersects(box(*box_))]
    assert sorted(found["code"]) == sorted(hits["code"]) and len(hits) > 0
    log = store.imports()
    again = import_boundaries(store, villages)
    assert not again.changed and again.import_id is None
    assert again.changes["units"] == TableChanges(unchanged=count)
    pd.testing.assert_frame_equal(store.imports(), log)
    # a small import after the bulk build goes in entry by entry, into the same tree
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE | {"code": "99"}])))
    assert_rtree_matches_table(store_path)
    store.undo(int(first.import_id) + 1)
    store.undo(int(first.import_id))
    assert_rtree_matches_table(store_path)
    assert store.units(UnitQuery(level=4)).empty
