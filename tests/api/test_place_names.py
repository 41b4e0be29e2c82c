"""The names of a row's commune, district and province, taken from the kept coverage view
(``CoverageView.place_names``), equal those read from the store up the tree: on the
whole tree and on views narrowed to a subtree (kept national view narrowed, or the
subtree computed alone), before and after the 2025 reform, under a model-type policy,
and on the empty store."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geo_service.api.views import PLACE_NAME_COLUMNS, coverage_policy, with_place_names
from geo_service.coverage.derived import CoverageCache
from geo_service.coverage.place_names import place_names_of
from geo_service.coverage.reads import CoverageView
from geo_service.domain import Level
from geo_service.settings import Settings
from geo_service.store import Store

BEFORE_REFORM = date(2024, 6, 1)
TODAY = date.today()
NAME_COLUMNS = list(PLACE_NAME_COLUMNS.values())


def _all_rows(view: CoverageView) -> pd.DataFrame:
    """Every village and roll-up of ``view``, as pages hold them."""
    columns = ["code", "name", "parent_code"]
    return pd.concat(
        [pd.DataFrame(view.result.villages[columns]), pd.DataFrame(view.result.rollups[columns])],
        ignore_index=True,
    )


def _assert_names_from_view_equal_the_stores(store: Store, view: CoverageView) -> None:
    rows = _all_rows(view)
    from_view = with_place_names(store, view.as_of, rows, view)
    from_store = with_place_names(store, view.as_of, rows)
    pd.testing.assert_frame_equal(from_view, from_store)


def _policy(store: Store, model_type: str | None = None) -> object:
    return coverage_policy(store, Settings(store_path="unused.gpkg"), model_type)


@pytest.mark.parametrize("as_of", [BEFORE_REFORM, TODAY])
def test_names_from_the_whole_trees_view_equal_the_stores(demo_store: Store, as_of: date) -> None:
    view = CoverageCache().view(demo_store, _policy(demo_store), as_of)  # type: ignore[arg-type]
    assert not view.result.villages.empty
    _assert_names_from_view_equal_the_stores(demo_store, view)
    named = with_place_names(demo_store, as_of, _all_rows(view), view)
    assert named["province_name"].notna().any()
    if as_of == BEFORE_REFORM:
        assert named["district_name"].notna().any()


@pytest.mark.parametrize("as_of", [BEFORE_REFORM, TODAY])
@pytest.mark.parametrize("national_kept", [True, False])
def test_names_from_a_narrowed_view_equal_the_stores(
    demo_store: Store, as_of: date, national_kept: bool
) -> None:
    """Above the root of a subtree the view holds nothing: those names come from the store."""
    cache = CoverageCache()
    policy = _policy(demo_store)
    whole = cache.view(demo_store, policy, as_of)  # type: ignore[arg-type]
    if not national_kept:
        cache = CoverageCache()
    rollups = whole.result.rollups
    with_villages = rollups[rollups["villages_total"].fillna(0) > 0]
    assert len(with_villages) > 0
    for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE):
        for root in with_villages.loc[with_villages["level"] == int(level), "code"].head(2):
            view = cache.view(demo_store, policy, as_of, root)  # type: ignore[arg-type]
            _assert_names_from_view_equal_the_stores(demo_store, view)


def test_names_under_a_model_type_policy_equal_the_stores(demo_store: Store) -> None:
    model_type = str(demo_store.model_types()["code"].iloc[0])
    policy = _policy(demo_store, model_type)
    view = CoverageCache().view(demo_store, policy, TODAY)  # type: ignore[arg-type]
    _assert_names_from_view_equal_the_stores(demo_store, view)


def test_names_on_the_empty_store(empty_store: Store) -> None:
    view = CoverageCache().view(empty_store, _policy(empty_store), TODAY)  # type: ignore[arg-type]
    rows = pd.DataFrame({"code": ["x"], "name": ["X"], "parent_code": ["nowhere"]})
    named = with_place_names(empty_store, TODAY, rows, view)
    assert named[NAME_COLUMNS].isna().all(axis=None)
    assert with_place_names(empty_store, TODAY, rows.iloc[:0], view).empty


def test_a_rollup_whose_chain_leaves_the_result_is_not_held() -> None:
    rollups = pd.DataFrame(
        {
            "code": ["1", "10", "100", "20", "200"],
            "name": ["P", "D", "C", "D2", "C2"],
            "level": [1, 2, 3, 2, 3],
            # "20" hangs under a province the result does not hold (a narrowed view).
            "parent_code": [None, "1", "10", "2", "20"],
        }
    )
    names = place_names_of(rollups)
    assert list(names.codes) == ["1", "10", "100"]
    assert list(names.names[int(Level.PROVINCE)]) == ["P", "P", "P"]
    assert list(names.names[int(Level.DISTRICT)]) == [None, "D", "D"]
    assert list(names.names[int(Level.COMMUNE)]) == [None, None, "C"]
    held = names.positions(pd.Index(["100", "200", "nowhere"], dtype=object).to_numpy())
    assert list(held) == [2, -1, -1]
