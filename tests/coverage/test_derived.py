"""Coverage as derived data: a subtree's own figures equal the national ones narrowed to it,
and the cache keeps a view per store state, policy and day, and never answers from a
state that is gone or half written."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pandas as pd
import pytest

from bench.national_store import build
from geo_service.coverage.derived import CoverageCache
from geo_service.coverage.reads import CoverageView, coverage_as_of, narrowed
from geo_service.coverage.unit_fate import UnitNotOnDate
from geo_service.domain import Level
from geo_service.hierarchy import UnitTree
from geo_service.settings import CoveragePolicy
from geo_service.store import ImportBatch, ImportSource, Store, UnitQuery
from tests.store.samples import models_frame

BEFORE = date(2025, 6, 30)
AFTER = date(2026, 1, 1)
POLICY = CoveragePolicy()


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as objects, every missing value None: the dtype a read picked aside."""
    values = frame.drop(columns="geometry", errors="ignore").reset_index(drop=True)
    return values.astype(object).where(values.notna(), None)


def assert_same_view(ours: CoverageView, expected: CoverageView) -> None:
    for name in ("villages", "rollups", "sites"):
        got, want = getattr(ours.result, name), getattr(expected.result, name)
        pd.testing.assert_frame_equal(plain_frame(got), plain_frame(want))
    assert sorted(ours.models["model_id"]) == sorted(expected.models["model_id"])
    assert ours.village_sources is not None and expected.village_sources is not None
    pd.testing.assert_frame_equal(
        plain_frame(ours.village_sources), plain_frame(expected.village_sources)
    )


def national_narrowed(national: CoverageView, root: str) -> CoverageView:
    """What the previous design answered: the whole country, then filtered."""
    result = national.result
    columns = ["code", "parent_code"]
    tree = UnitTree(pd.concat([result.rollups[columns], result.villages[columns]]))
    return narrowed(national, root, tree.subtree(root))


def admin_codes(store: Store, on: date, per_level: int) -> list[str]:
    codes: list[str] = []
    for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE, Level.VILLAGE):
        query = UnitQuery(as_of=on, level=int(level), with_geometry=False, columns=("code",))
        found = store.units(query)["code"].tolist()
        codes += found[:: max(1, len(found) // per_level)][:per_level]
    return codes


@pytest.mark.parametrize("on", [BEFORE, AFTER])
def test_a_subtree_of_the_demo_equals_the_nation_narrowed(demo_store: Store, on: date) -> None:
    national = coverage_as_of(demo_store, POLICY, on)
    codes = admin_codes(demo_store, on, per_level=6)
    assert len(codes) > 10
    cache = CoverageCache()
    cache.view(demo_store, POLICY, on)
    for root in codes:
        ours = coverage_as_of(demo_store, POLICY, on, root)
        assert_same_view(ours, national_narrowed(national, root))
        assert_same_view(cache.view(demo_store, POLICY, on, root), ours)


@pytest.fixture(scope="module")
def small_country(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The benchmark's generated country at 1/100 scale, in a real store."""
    return build(tmp_path_factory.mktemp("country") / "national.gpkg", seed=42, scale=0.01)


def test_a_subtree_of_a_generated_country_equals_the_nation_narrowed(small_country: Store) -> None:
    on = date.today()
    national = coverage_as_of(small_country, POLICY, on)
    assert len(national.result.villages) > 500
    cache = CoverageCache()
    cache.view(small_country, POLICY, on)  # kept: subtrees are then narrowed from it
    for root in admin_codes(small_country, on, per_level=6):
        ours = coverage_as_of(small_country, POLICY, on, root)
        assert_same_view(ours, national_narrowed(national, root))
        assert_same_view(cache.view(small_country, POLICY, on, root), ours)
    assert cache.computed == 1


def test_a_kept_national_view_answers_subtrees_without_computing(demo_store: Store) -> None:
    cache = CoverageCache()
    national = cache.view(demo_store, POLICY, BEFORE)
    assert cache.computed == 1
    thua = cache.view(demo_store, POLICY, BEFORE, "09496")
    assert cache.computed == 1
    assert_same_view(thua, coverage_as_of(demo_store, POLICY, BEFORE, "09496"))
    assert cache.view(demo_store, POLICY, BEFORE) is national
    with pytest.raises(UnitNotOnDate):
        cache.view(demo_store, POLICY, BEFORE, "no-such-unit")


def test_threads_narrowing_a_newly_kept_view_at_once_all_get_their_subtree(
    demo_store: Store,
) -> None:
    """Requests run on a thread pool: the first narrowings of a kept national view build
    its tree while others read it (a 500 under load before the tree and the sites'
    positions were published together)."""
    wanted = coverage_as_of(demo_store, POLICY, BEFORE, "09496")
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change hands as often as they can
    try:
        for _ in range(30):
            cache = CoverageCache()
            cache.view(demo_store, POLICY, BEFORE)
            start = threading.Barrier(8)

            def narrow(
                _: int, cache: CoverageCache = cache, start: threading.Barrier = start
            ) -> CoverageView:
                start.wait()
                return cache.view(demo_store, POLICY, BEFORE, "09496")

            with ThreadPoolExecutor(8) as pool:
                views = list(pool.map(narrow, range(8)))
            for view in views:
                assert_same_view(view, wanted)
    finally:
        sys.setswitchinterval(switch)


def test_a_subtree_is_computed_alone_and_kept(demo_store: Store) -> None:
    cache = CoverageCache()
    first = cache.view(demo_store, POLICY, BEFORE, "09496")
    assert cache.view(demo_store, POLICY, BEFORE, "09496") is first
    assert cache.computed == 1
    assert set(first.result.villages["parent_code"]) == {"09496"}


def test_two_dates_and_two_policies_are_kept_apart(demo_store: Store) -> None:
    cache = CoverageCache()
    before = cache.view(demo_store, POLICY, BEFORE)
    after = cache.view(demo_store, POLICY, AFTER)
    assert set(before.result.rollups["code"]) != set(after.result.rollups["code"])
    strict = POLICY.model_copy(update={"required_types": ["security_camera"]})
    narrow = cache.view(demo_store, strict, BEFORE)
    assert narrow.result.villages["covered"].sum() < before.result.villages["covered"].sum()
    assert cache.computed == 3
    assert cache.view(demo_store, POLICY, BEFORE) is before
    assert cache.view(demo_store, strict, BEFORE) is narrow
    assert cache.view(demo_store, POLICY, AFTER) is after
    assert cache.computed == 3


def test_national_views_of_two_days_are_kept_per_policy(demo_store: Store) -> None:
    """A third day's national view drops the least recently used one of the same policy;
    subtrees and other policies keep theirs."""
    cache = CoverageCache()
    before = cache.view(demo_store, POLICY, BEFORE)
    strict = POLICY.model_copy(update={"required_types": ["security_camera"]})
    narrow = cache.view(demo_store, strict, BEFORE)
    after = cache.view(demo_store, POLICY, AFTER)
    cache.view(demo_store, POLICY, date(2026, 6, 1))
    assert cache.computed == 4
    assert cache.view(demo_store, POLICY, AFTER) is after
    assert cache.view(demo_store, strict, BEFORE) is narrow
    assert cache.computed == 4
    again = cache.view(demo_store, POLICY, BEFORE)
    assert again is not before and cache.computed == 5
    assert again.result.villages.equals(before.result.villages)


def uncovered_village(view: CoverageView) -> str:
    villages = view.result.villages
    return str(villages.loc[~villages["covered"], "code"].iloc[0])


def covering_model(village: str) -> ImportBatch:
    model = {
        "model_id": "DERIVED-1",
        "type_code": "patrol_team",
        "name": "Tổ tuần tra",
        "unit_code": village,
        "launch_date": date(2020, 1, 1),
    }
    return ImportBatch(ImportSource("models", "one.csv", "1" * 64), models=models_frame([model]))


def covered_count(view: CoverageView) -> int:
    return int(view.result.villages["covered"].sum())


def test_an_import_and_its_undo_are_seen_by_every_cache(demo_store: Store) -> None:
    ours, theirs = CoverageCache(), CoverageCache()  # two server processes
    before = ours.view(demo_store, POLICY, BEFORE)
    theirs.view(demo_store, POLICY, BEFORE)
    import_id = demo_store.apply(covering_model(uncovered_village(before)))
    for cache in (ours, theirs):
        assert covered_count(cache.view(demo_store, POLICY, BEFORE)) == covered_count(before) + 1
    demo_store.undo(import_id)
    for cache in (ours, theirs):
        assert covered_count(cache.view(demo_store, POLICY, BEFORE)) == covered_count(before)
        assert cache.computed == 3


def test_a_request_during_an_import_answers_from_a_complete_state(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import that lands while coverage is computed: the half-read view is neither kept
    nor answered; the request computes again from the state the import left."""
    from geo_service.coverage import derived

    cache = CoverageCache()
    before = coverage_as_of(demo_store, POLICY, BEFORE)
    calls: list[int] = []

    def import_midway(store: Store, *args: object, **kwargs: object) -> CoverageView:
        view = coverage_as_of(store, *args, **kwargs)  # type: ignore[arg-type]
        if not calls:
            store.apply(covering_model(uncovered_village(before)))
        calls.append(store.generation())
        return view

    monkeypatch.setattr(derived, "coverage_as_of", import_midway)
    answered = cache.view(demo_store, POLICY, BEFORE)
    assert len(calls) == 2
    assert covered_count(answered) == covered_count(before) + 1
    assert cache.view(demo_store, POLICY, BEFORE) is answered


def test_the_views_of_a_former_state_go_before_the_new_one_is_computed(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an import the next request drops what the former state kept first, so that
    a national view of each state is never held at once."""
    from geo_service.coverage import derived

    cache = CoverageCache()
    before = cache.view(demo_store, POLICY, BEFORE)
    cache.view(demo_store, POLICY, AFTER)
    demo_store.apply(covering_model(uncovered_village(before)))
    kept_while_computing: list[set[int]] = []

    def computing(store: Store, *args: object, **kwargs: object) -> CoverageView:
        kept_while_computing.append({key.generation for key in cache._kept})
        return coverage_as_of(store, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(derived, "coverage_as_of", computing)
    assert covered_count(cache.view(demo_store, POLICY, BEFORE)) == covered_count(before) + 1
    assert kept_while_computing == [set()]
