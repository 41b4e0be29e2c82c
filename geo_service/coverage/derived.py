"""Coverage as derived data: computed once per store state, policy and day, then read.

``CoverageCache`` keeps coverage views (without geometry) keyed by (store generation,
policy, as-of day, subtree root). A request asks it for a day and a subtree:

- the national view of that generation, policy and day, when kept, is narrowed to the
  subtree (no store read, no computation);
- otherwise the subtree's own view, kept or computed from the subtree alone
  (``coverage.subtree``): a commune never costs the country.

An import or an undo changes the store's generation, so every kept view of the old
generation stops matching, in this process and in every other worker holding its own
cache. A view is kept only if the generation read after computing it is the one read
before: a request that ran while an import landed is computed again, so every answer
comes from one complete store state. One computation runs per key at a time; other
requests for the same key wait for it rather than repeat it.

A kept view also keeps what is derived from it on first use: its tree, to narrow it, and
the map's no-data areas (``no_data_areas``), which go with it when its generation goes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo_service.coverage.no_data_areas import NoDataAreas
from geo_service.coverage.reads import (
    CoverageView,
    coverage_as_of,
    narrowed_to_rows,
    no_data_areas_of,
)
from geo_service.coverage.unit_fate import UnitNotOnDate, unit_fate
from geo_service.hierarchy import UnitTree
from geo_service.settings import CoveragePolicy
from geo_service.store import Store, StoreBusy

# How often a computation is repeated because imports kept landing during it.
ATTEMPTS = 3
# National views kept per policy (one per day): each holds the whole country's coverage,
# tens of MB, while a subtree's is small; today's and one other day (a map looking at a
# past date), as the tile cache keeps their attribute tables.
NATIONAL_DAYS_KEPT = 2


@dataclass(frozen=True, slots=True)
class CoverageKey:
    generation: int
    policy: str  # the policy as JSON: policies are not hashable
    as_of: date
    root: str | None


class _Kept:
    """A kept view of store generation ``generation``, and (each built on first use) where
    its rows and sites lie in its tree, to narrow it to a subtree by array positions rather
    than by codes, and its no-data areas for the map."""

    def __init__(self, view: CoverageView, generation: int) -> None:
        self.view = view
        self.generation = generation
        # One attribute for the tree and the sites' positions in it: requests run on
        # several threads, and a reader must never see the one without the other.
        self._index: tuple[UnitTree, NDArray[np.intp]] | None = None
        self._no_data_areas: NoDataAreas | None = None
        self._no_data_lock = threading.Lock()  # built once; other requests wait for it

    def no_data_areas(self, store: Store) -> NoDataAreas:
        with self._no_data_lock:
            if self._no_data_areas is not None:
                return self._no_data_areas
            areas = no_data_areas_of(store, self.view)
            # Kept only if read from the view's own store state (generations only grow).
            if store.generation() == self.generation:
                self._no_data_areas = areas
            return areas

    def _tree_and_sites(self) -> tuple[UnitTree, NDArray[np.intp]]:
        index = self._index
        if index is None:
            result = self.view.result
            columns = ["code", "parent_code"]
            units = pd.concat([result.rollups[columns], result.villages[columns]])
            tree = UnitTree(units.reset_index(drop=True))
            index = self._index = (tree, tree.positions(result.sites["unit_code"].astype(object)))
        return index

    def narrowed(self, store: Store, root: str) -> CoverageView:
        result = self.view.result
        tree, sites = self._tree_and_sites()
        at = tree.codes.get_indexer([root])[0]
        if at < 0:
            raise UnitNotOnDate(unit_fate(store, root, self.view.as_of))
        inside = np.append((tree.ancestors == at).any(axis=1), False)
        split = len(result.rollups)
        return narrowed_to_rows(
            self.view,
            root,
            villages=inside[split:-1],
            rollups=inside[:split],
            sites=inside[sites],  # -1 (not in the tree) reads the appended False
        )


class CoverageCache:
    """Coverage views of the latest store states, at most ``entries`` of them, of which at
    most ``NATIONAL_DAYS_KEPT`` national ones per policy (least recently used dropped first).
    Thread-safe: FastAPI runs sync routes in threads."""

    def __init__(self, entries: int = 32) -> None:
        self.entries = entries
        self._kept: OrderedDict[CoverageKey, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[CoverageKey, threading.Lock] = {}
        self.computed = 0  # how many views were computed (not served from the cache)

    def view(
        self, store: Store, policy: CoveragePolicy, as_of: date, root: str | None = None
    ) -> CoverageView:
        """Coverage on ``as_of`` of the whole tree or of ``root``'s subtree, without unit
        geometry (``reads.with_unit_geometry`` adds it to the rows shown). A ``root`` not
        valid on ``as_of`` raises ``UnitNotOnDate``."""
        policy_key = policy.model_dump_json()
        for _ in range(ATTEMPTS):
            generation = store.generation()
            self._forget_older_than(generation)
            national = self._get(CoverageKey(generation, policy_key, as_of, None))
            if national is not None:
                return national.view if root is None else national.narrowed(store, root)
            key = CoverageKey(generation, policy_key, as_of, root)
            with self._computing_lock(key):
                kept = self._get(key)
                if kept is not None:
                    return kept.view
                view = coverage_as_of(store, policy, as_of, root, with_geometry=False)
                with self._lock:
                    self.computed += 1
                if store.generation() == generation:
                    self._put(key, _Kept(view, generation))
                    return view
        raise StoreBusy("the store kept changing while coverage was computed; try again")

    def no_data_areas(self, store: Store, view: CoverageView) -> NoDataAreas:
        """The no-data areas of ``view`` (as ``view`` returned it): built once and kept
        with the view while the view is kept; for a view not kept (a narrowed one, or one
        computed while an import landed), built for this call."""
        with self._lock:
            kept = next((k for k in self._kept.values() if k.view is view), None)
        return no_data_areas_of(store, view) if kept is None else kept.no_data_areas(store)

    def _get(self, key: CoverageKey) -> _Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def _put(self, key: CoverageKey, kept: _Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)
            national = [k for k in self._kept if k.root is None and k.policy == key.policy]
            for old in national[: max(len(national) - NATIONAL_DAYS_KEPT, 0)]:  # least recent
                del self._kept[old]

    def _forget_older_than(self, generation: int) -> None:
        """Drop the views of generations before ``generation``: generations only grow, so
        they are never asked for again. Dropped when the newer generation is first seen,
        before its view is computed, so that the two are never held together."""
        with self._lock:
            for old in [k for k in self._kept if k.generation < generation]:
                del self._kept[old]
            for old in [k for k in self._computing if k.generation < generation]:
                del self._computing[old]

    def _computing_lock(self, key: CoverageKey) -> threading.Lock:
        with self._lock:
            return self._computing.setdefault(key, threading.Lock())
