"""The cyclic collector is paused while an import runs, and always given back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo_service import pipeline
from geo_service.gc_paused import collection_paused
from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import Store


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_given_back_after_a_return_or_an_error() -> None:
    seen: list[bool] = []

    @collection_paused()
    def work(fail: bool) -> str:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("bad row")
        return "done"

    assert work(False) == "done"
    assert gc.isenabled()
    with pytest.raises(ValueError, match="bad row"):
        work(True)
    assert gc.isenabled()
    assert seen == [False, False]


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_imports_keep_it_paused_until_the_last_one_ends() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    states: dict[str, bool] = {}

    def first() -> None:
        with collection_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collection_paused():
            second_in.set()
            first_out.wait(5)
            states["after the first ended"] = gc.isenabled()
        states["after both ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert states == {"after the first ended": False, "after both ended": True}


def test_a_real_import_runs_without_a_single_collection(
    empty_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From its first stage to its last, with a threshold that would otherwise collect
    after every few containers, a real import sees no collection at all."""
    inside = {"now": False}
    collections: list[tuple[bool, int]] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append((inside["now"], info["generation"]))

    def entering(function: Any) -> Any:
        def first_stage(*args: Any, **kwargs: Any) -> Any:
            inside["now"] = True
            return function(*args, **kwargs)

        return first_stage

    def leaving(function: Any) -> Any:
        def last_stage(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            finally:
                inside["now"] = False

        return last_stage

    monkeypatch.setattr(pipeline, "read_boundaries", entering(pipeline.read_boundaries))
    monkeypatch.setattr(pipeline, "_apply_current", leaving(pipeline._apply_current))
    threshold = gc.get_threshold()
    gc.set_threshold(10)
    gc.callbacks.append(count)
    try:
        outcome = pipeline.import_boundaries(
            empty_store, Path(DEMO_DATA_DIR / "units_pre2025.geojson")
        )
        gc.collect()  # the callback is proven to see collections
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*threshold)
    assert outcome.import_id is not None
    assert [seen for seen in collections if seen[0]] == []
    assert (False, 2) in collections
    assert gc.isenabled()
