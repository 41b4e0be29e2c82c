"""The map's no-data areas are built once per kept coverage view: a box gets the same areas
as reading its communes from the store and greying them would, the cache keeps them with
the view and drops them with its store state, and never keeps areas read from a newer one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo_service.api.map_layers import _rows_of
from geo_service.coverage.derived import CoverageCache
from geo_service.coverage.no_data_areas import NoDataAreas
from geo_service.coverage.reads import CoverageView, no_data_areas_of, with_no_data_areas_of
from geo_service.domain import Level
from geo_service.settings import CoveragePolicy
from geo_service.store import Store, UnitQuery
from tests.coverage.test_derived import covered_count, covering_model, uncovered_village

BEFORE, AFTER = date(2025, 6, 30), date(2026, 1, 1)
POLICY = CoveragePolicy()


def greyed_in_box(store: Store, view: CoverageView, bbox: tuple[float, ...]) -> gpd.GeoDataFrame:
    """The areas as the map computed them per request: the communes meeting ``bbox`` read
    from the store, greyed by ``with_no_data_areas_of``."""
    query = UnitQuery(as_of=view.as_of, level=int(Level.COMMUNE), bbox=bbox, columns=("code",))
    communes = store.units(query)
    rows = _rows_of(view.result.rollups, view.rollup_codes, communes["code"])
    shown = gpd.GeoDataFrame(rows, geometry=communes.geometry.to_numpy(), crs=communes.crs)
    shown = shown[shown["data_status"].notna()]
    areas = with_no_data_areas_of(
        store, replace(view, result=replace(view.result, rollups=shown))
    ).no_data_areas
    assert areas is not None
    return areas


def as_rows(areas: gpd.GeoDataFrame) -> list[tuple[object, ...]]:
    return list(
        zip(
            *(areas[column].astype(object).where(areas[column].notna(), None) for column in
              ("commune_code", "source_code", "name", "unit_type", "valid_to")),
            areas.geometry.to_wkb(),
            strict=True,
        )
    )  # fmt: skip


@pytest.mark.parametrize("on", [BEFORE, AFTER])
def test_every_commune_s_box_gets_the_areas_read_for_it_before(demo_store: Store, on: date) -> None:
    view = CoverageCache().view(demo_store, POLICY, on)
    kept = no_data_areas_of(demo_store, view)
    assert len(kept.areas) > 0
    communes = demo_store.units(UnitQuery(as_of=on, level=int(Level.COMMUNE), columns=("code",)))
    boxes = [tuple(bounds) for bounds in communes.geometry.bounds.to_numpy()]
    boxes += [(w + 1e-5, s + 1e-5, e - 1e-5, n - 1e-5) for w, s, e, n in boxes]  # neighbours' edges
    # Just east of each commune, within the rounding of the store's R-tree (32-bit floats).
    east = [
        (float(np.nextafter(np.float32(e), np.float32(np.inf))) + e) / 2 for _, _, e, _ in boxes
    ]
    boxes += [(x, s, x + 0.01, n) for x, (_, s, _, n) in zip(east, boxes, strict=False)]
    greyed = 0
    for bbox in boxes:
        expected = greyed_in_box(demo_store, view, bbox)
        assert as_rows(kept.meeting(bbox)) == as_rows(expected), bbox
        greyed += len(expected) > 0
    assert greyed > 10
    assert kept.meeting((0.0, 0.0, 1.0, 1.0)).empty


def test_the_kept_view_keeps_its_areas_and_a_new_state_gets_its_own(demo_store: Store) -> None:
    cache = CoverageCache()
    view = cache.view(demo_store, POLICY, AFTER)
    areas = cache.no_data_areas(demo_store, view)
    assert cache.no_data_areas(demo_store, view) is areas
    demo_store.apply(covering_model(uncovered_village(view)))
    newer = cache.view(demo_store, POLICY, AFTER)
    assert covered_count(newer) == covered_count(view) + 1
    again = cache.no_data_areas(demo_store, newer)
    assert again is not areas and as_rows(again.areas) == as_rows(areas.areas)
    assert cache.no_data_areas(demo_store, newer) is again


def test_a_view_not_kept_gets_its_areas_built_for_each_call(demo_store: Store) -> None:
    cache = CoverageCache()
    cache.view(demo_store, POLICY, AFTER)  # kept; a subtree is narrowed from it per call
    narrowed = cache.view(demo_store, POLICY, AFTER, "22")
    first = cache.no_data_areas(demo_store, narrowed)
    second = cache.no_data_areas(demo_store, narrowed)
    assert first is not second and as_rows(first.areas) == as_rows(second.areas)
    assert set(first.areas["commune_code"]) <= set(narrowed.result.rollups["code"])


def test_areas_read_while_an_import_lands_are_not_kept(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo_service.coverage import derived

    cache = CoverageCache()
    view = cache.view(demo_store, POLICY, AFTER)
    built: list[NoDataAreas] = []

    def import_midway(store: Store, of: CoverageView) -> NoDataAreas:
        areas = no_data_areas_of(store, of)
        if not built:
            store.apply(covering_model(uncovered_village(of)))
        built.append(areas)
        return areas

    monkeypatch.setattr(derived, "no_data_areas_of", import_midway)
    cache.no_data_areas(demo_store, view)
    cache.no_data_areas(demo_store, view)
    assert len(built) == 2  # the first, read across the import, was not kept


def test_no_village_lists_and_no_communes_give_no_areas(demo_store: Store) -> None:
    view = CoverageCache().view(demo_store, POLICY, AFTER)
    for bare in (
        replace(view, village_sources=None),
        replace(view, result=replace(view.result, rollups=view.result.rollups.iloc[:0])),
    ):
        areas = no_data_areas_of(demo_store, bare)
        assert areas.areas.empty and areas.meeting((100.0, 8.0, 110.0, 24.0)).empty
        assert list(areas.areas.columns) == list(pd.Index(NoDataAreas.none().areas.columns))
