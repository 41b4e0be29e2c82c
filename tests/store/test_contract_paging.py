"""The store contract, order, paging and projection of unit reads, and counting: done by
the store (a page of a national list does not read the whole list first), with one
meaning on every backend."""

from __future__ import annotations

import pandas as pd
import pytest
from shapely.geometry import box

from geo_service.domain import UNIT_COLUMNS
from geo_service.store import ImportBatch, Store, UnitQuery
from tests.store.samples import COMMUNE_OLD, PROVINCE, SOURCE, VILLAGE, units_frame

# Names whose order by code point differs from a dictionary's: capitals before small
# letters, letters with marks (Ấ, Đ) after every plain one.
NAMES = ["Thôn Đông", "Ấp 2", "Bản Mé", "Xóm 1", "thôn 2", "Thôn 10", "Bản Mé"]
POPULATIONS = [120, None, 80, 120, None, 45, 300]


def _villages() -> list[dict[str, object]]:
    return [
        VILLAGE
        | {
            "code": f"09496-{i:03d}",
            "name": name,
            "population": population,
            "geometry": box(106.2 + i * 0.001, 21.0, 106.2005 + i * 0.001, 21.001),
        }
        for i, (name, population) in enumerate(zip(NAMES, POPULATIONS, strict=True), start=1)
    ]


@pytest.fixture
def filled(store: Store) -> Store:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, *_villages()])))
    return store


def _codes(store: Store, **query: object) -> list[str]:
    return store.units(UnitQuery(with_geometry=False, **query))["code"].tolist()  # type: ignore[arg-type]


def test_units_come_by_level_code_and_start_unless_asked_otherwise(filled: Store) -> None:
    expected = ["27", "09496", *(f"09496-{i:03d}" for i in range(1, 8))]
    assert _codes(filled) == expected
    assert _codes(filled, order=("level", "code", "valid_from")) == expected


def test_order_by_text_is_by_code_point_and_ties_go_by_code(filled: Store) -> None:
    villages = filled.units(UnitQuery(level=4, order=("name",), with_geometry=False))
    assert villages["name"].tolist() == sorted(NAMES)
    twins = villages[villages["name"] == "Bản Mé"]["code"].tolist()
    assert twins == ["09496-003", "09496-007"]  # the same name: by code
    backwards = filled.units(UnitQuery(level=4, order=("-name",), with_geometry=False))
    assert backwards["name"].tolist() == sorted(NAMES, reverse=True)
    assert backwards[backwards["name"] == "Bản Mé"]["code"].tolist() == twins  # still by code


def test_missing_values_come_first_ascending_and_last_descending(filled: Store) -> None:
    ascending = filled.units(UnitQuery(level=4, order=("population",), with_geometry=False))
    assert ascending["population"].tolist()[:2] == [pd.NA, pd.NA]
    assert ascending["code"].tolist() == [
        "09496-002",
        "09496-005",
        "09496-006",
        "09496-003",
        "09496-001",
        "09496-004",
        "09496-007",
    ]
    descending = filled.units(UnitQuery(level=4, order=("-population", "name")))
    assert descending["code"].tolist() == [
        "09496-007",
        "09496-001",  # 120, "Thôn Đông" before "Xóm 1"
        "09496-004",
        "09496-003",
        "09496-006",
        "09496-005",  # missing: last, then by name ("thôn 2" before "Ấp 2")
        "09496-002",
    ]


def test_pages_follow_the_order_and_add_up_to_the_whole(filled: Store) -> None:
    order = ("-population", "name")
    whole = filled.units(UnitQuery(order=order))
    pages = [
        filled.units(UnitQuery(order=order, limit=2, offset=start)) for start in range(0, 9, 2)
    ]
    assert [len(page) for page in pages] == [2, 2, 2, 2, 1]
    paged = pd.concat(pages, ignore_index=True)
    pd.testing.assert_frame_equal(
        pd.DataFrame(paged[UNIT_COLUMNS]), pd.DataFrame(whole[UNIT_COLUMNS])
    )
    assert paged.geometry.geom_equals(whole.geometry).sum() == whole.geometry.notna().sum()
    assert _codes(filled, level=4, offset=5) == ["09496-006", "09496-007"]
    assert _codes(filled, level=4, limit=0) == []
    past_the_end = filled.units(UnitQuery(level=4, offset=50, columns=("code", "name")))
    assert past_the_end.empty and [c for c in past_the_end.columns if c != "geometry"] == [
        "code",
        "name",
    ]


def test_a_page_of_a_long_code_list_is_a_page_of_the_whole_order(filled: Store) -> None:
    asked = (*(f"X{i:05d}" for i in range(20_000)), *(f"09496-{i:03d}" for i in range(7, 0, -1)))
    query = UnitQuery(codes=asked, order=("name",), with_geometry=False)
    whole = filled.units(query)["code"].tolist()
    assert len(whole) == 7
    assert _codes(filled, codes=asked, order=("name",), limit=3, offset=2) == whole[2:5]
    assert filled.count_units(query) == 7


def test_projection_keeps_the_named_columns_and_may_order_by_others(filled: Store) -> None:
    query = UnitQuery(level=4, columns=("name", "code"), order=("-population",), limit=2)
    narrow = filled.units(query)
    assert [c for c in narrow.columns if c != "geometry"] == ["code", "name"]
    assert narrow["code"].tolist() == ["09496-007", "09496-001"]
    assert narrow.geometry.notna().all()  # geometry is left out only when asked
    assert (
        filled.units(UnitQuery(level=4, columns=("code",), with_geometry=False))
        .geometry.isna()
        .all()
    )


def test_counting_follows_the_filters_and_ignores_paging(filled: Store) -> None:
    for query in (
        UnitQuery(),
        UnitQuery(level=4),
        UnitQuery(parent_code="09496", limit=2, offset=1, order=("-name",)),
        UnitQuery(ended=True),
        UnitQuery(codes=("27", "09496-001", "nope"), columns=("code",)),
        UnitQuery(bbox=(106.2011, 21.0001, 106.2012, 21.0002)),
    ):
        unpaged = UnitQuery(**{**_filters(query), "with_geometry": False})
        assert filled.count_units(query) == len(filled.units(unpaged)) > 0


def _filters(query: UnitQuery) -> dict[str, object]:
    keep = ("as_of", "level", "parent_code", "codes", "bbox", "parent_codes", "ended")
    return {name: getattr(query, name) for name in keep}


def test_an_empty_store_counts_nothing_and_pages_are_empty(store: Store) -> None:
    assert store.count_units() == 0
    assert store.units(UnitQuery(limit=5, offset=5, order=("-name",))).empty


@pytest.mark.parametrize(
    "arguments",
    [
        {"order": ("members",)},
        {"order": ("-",)},
        {"columns": ("code", "members")},
        {"limit": -1},
        {"offset": -1},
    ],
)
def test_a_query_naming_no_unit_column_or_a_negative_page_is_refused(
    arguments: dict[str, object],
) -> None:
    with pytest.raises(ValueError, match=r"no unit column|must not be negative"):
        UnitQuery(**arguments)  # type: ignore[arg-type]
