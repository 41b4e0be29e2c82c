"""The store contract, reads of units: filters, long code lists, the geometry left out."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from geo_service.domain import UNIT_COLUMNS
from geo_service.store import ImportBatch, Store, UnitQuery
from tests.store.samples import (
    COMMUNE_NEW,
    COMMUNE_OLD,
    PROVINCE,
    SOURCE,
    VILLAGE,
    units_frame,
)


def test_new_store_is_empty(store: Store) -> None:
    assert store.is_empty()
    units = store.units()
    assert units.empty
    assert set(UNIT_COLUMNS) <= set(units.columns)
    assert store.models().empty and store.teams().empty and store.lineage().empty


def test_units_round_trip_keeps_text_geometry_and_dates(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    units = store.units().set_index("code")
    assert units.loc["09496", "name"] == "Thị trấn Thứa"
    assert units.loc["09496", "valid_to"] == date(2025, 7, 1)
    assert units.loc["09496", "population"] == 10795
    geometry = units.loc["27", "geometry"]
    assert isinstance(geometry, MultiPolygon)  # polygons are stored as the declared type
    assert shapely.equals(geometry, box(105.9, 20.9, 106.3, 21.3))
    assert units.loc["09496-001", "geometry"] is None
    assert store.units().crs.to_epsg() == 4326


def test_units_upsert_on_code_and_valid_from(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD, COMMUNE_NEW])))
    renamed = COMMUNE_OLD | {"name": "Thị trấn Thứa (sửa)"}
    store.apply(ImportBatch(SOURCE, units=units_frame([renamed])))
    units = store.units()
    assert len(units) == 2
    assert sorted(units["name"]) == ["Thị trấn Thứa (sửa)", "Xã Lương Tài"]


def test_as_of_picks_the_unit_valid_that_day(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD, COMMUNE_NEW])))
    before = store.units(UnitQuery(as_of=date(2025, 6, 30)))
    after = store.units(UnitQuery(as_of=date(2025, 7, 1)))
    assert before["name"].tolist() == ["Thị trấn Thứa"]
    assert after["name"].tolist() == ["Xã Lương Tài"]


def test_filters_by_level_parent_codes_and_bbox(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    assert store.units(UnitQuery(level=1))["code"].tolist() == ["27"]
    assert store.units(UnitQuery(parent_code="09496"))["code"].tolist() == ["09496-001"]
    assert store.units(UnitQuery(codes=("27", "nope")))["code"].tolist() == ["27"]
    inside = store.units(UnitQuery(bbox=(106.21, 21.01, 106.22, 21.02)))
    assert sorted(inside["code"]) == ["09496", "27"]
    assert store.units(UnitQuery(bbox=(100.0, 10.0, 100.1, 10.1))).empty


def test_bbox_bounds_say_which_boxes_find_a_unit(store: Store) -> None:
    """A bbox finds a unit when it meets the unit's ``bbox_bounds`` (which hold its
    geometry's bounds), also within a hair of its edges, where rounding decides."""
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD])))
    exact = np.array([COMMUNE_OLD["geometry"].bounds])  # type: ignore[attr-defined]
    ((west, south, east, north),) = bounds = store.bbox_bounds(exact)
    assert bounds.dtype == np.float64 and bounds.shape == (1, 4)
    w, s, e, n = exact[0]
    assert west <= w and south <= s and east >= e and north >= n
    for hair in (0.0, 1e-9, 1e-7, 2e-6, 1e-5):
        for bbox in (
            (e + hair, s, e + hair + 0.01, n),
            (w - hair - 0.01, s, w - hair, n),
            (w, n + hair, e, n + hair + 0.01),
            (w, s - hair - 0.01, e, s - hair),
        ):
            meets = bbox[0] <= east and bbox[2] >= west and bbox[1] <= north and bbox[3] >= south
            assert (not store.units(UnitQuery(bbox=bbox)).empty) == meets, (hair, bbox)


def test_filters_by_many_parent_codes_and_long_code_lists(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    under = store.units(UnitQuery(parent_codes=("09496", "27")))
    assert sorted(under["code"]) == ["09496", "09496-001"]
    assert store.units(UnitQuery(parent_codes=())).empty
    # a national import asks for every code it holds: far beyond SQL's parameter limits
    many = (*(f"{i:05d}" for i in range(40_000)), "27")
    assert store.units(UnitQuery(codes=many, level=1))["code"].tolist() == ["27"]


def test_long_code_lists_find_what_short_ones_find(store: Store) -> None:
    villages = [
        VILLAGE
        | {"code": f"V{i:05d}", "name": f"Thôn {i}", "population": i}
        | ({"geometry": box(106.2 + i * 1e-4, 21.0, 106.2001 + i * 1e-4, 21.001)} if i % 2 else {})
        for i in range(3_000)
    ]
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, *villages])))
    short = pd.concat(  # the same rows, asked for 500 codes at a time
        store.units(UnitQuery(codes=tuple(f"V{i:05d}" for i in range(start, start + 500))))
        for start in range(0, 3_000, 500)
    ).reset_index(drop=True)
    absent = [f"X{i:05d}" for i in range(20_000)]
    asked = (*absent, *(f"V{i:05d}" for i in range(3_000)), "V00001")  # mostly stored codes
    found = store.units(UnitQuery(codes=asked))
    pd.testing.assert_frame_equal(
        pd.DataFrame(found[UNIT_COLUMNS]), pd.DataFrame(short[UNIT_COLUMNS])
    )
    assert shapely.equals_exact(found.geometry.values, short.geometry.values, 0).sum() == 1_500
    assert found.geometry.isna().sum() == 1_500
    few = store.units(UnitQuery(codes=(*absent, "V02999", "27"), with_geometry=False))
    assert few["code"].tolist() == ["27", "V02999"] and few.geometry.isna().all()
    light = store.units(UnitQuery(codes=asked, level=4, columns=("population",)))
    assert light["population"].tolist() == list(range(3_000))


def test_units_without_geometry_keep_every_attribute(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    light = store.units(UnitQuery(with_geometry=False))
    full = store.units()
    assert light.geometry.isna().all()
    assert light.crs is not None and light.crs.to_epsg() == 4326
    pd.testing.assert_frame_equal(
        pd.DataFrame(light[UNIT_COLUMNS]), pd.DataFrame(full[UNIT_COLUMNS])
    )


def test_units_read_with_only_some_columns(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    query = UnitQuery(level=3, with_geometry=False, columns=("valid_to", "code"))
    narrow = store.units(query)
    assert [c for c in narrow.columns if c != "geometry"] == ["code", "valid_to"]
    assert narrow["code"].tolist() == ["09496"] and narrow["valid_to"].tolist() == [
        date(2025, 7, 1)
    ]
    with pytest.raises(ValueError, match="no unit column"):
        store.units(UnitQuery(columns=("code", "members")))
    many = (*(f"X{i:05d}" for i in range(40_000)), "09496-001")  # a national import's list
    named = store.units(UnitQuery(codes=many, columns=("name",)))
    assert [c for c in named.columns if c != "geometry"] == ["name"]
    assert named["name"].tolist() == ["Khu phố 1"] and named.geometry.isna().all()


def test_ended_units_and_held_codes(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    ended = store.units(UnitQuery(ended=True, with_geometry=False))
    assert sorted(ended["code"]) == ["09496", "27"]  # those with a valid_to
    assert store.units(UnitQuery(ended=True, level=3))["code"].tolist() == ["09496"]
    assert store.held_codes(["27", "09496-001", "nope", "27"]) == {"27", "09496-001"}
    assert store.held_codes([]) == set()
    # a national import's list: far longer than the table, mostly codes not stored
    many = [f"{i:05d}" for i in range(40_000)] + ["09496"]
    assert store.held_codes(many) == {"09496"}
