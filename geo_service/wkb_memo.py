"""The WKB each geometry of an import was decoded from, so that it is not encoded again.

An import decodes every geometry from the file's WKB (to validate it), and the store then
needs WKB again to write it: for a national village file ``shapely.to_wkb`` re-creates
40 MB that the reader already held. Geometries are immutable, so while the decoded object
itself is alive, the WKB it came from still describes it exactly; ``known`` finds them by
object identity, and the memo holds the objects so that no identity can be reused.

Only plain 2D little-endian MultiPolygon WKB is remembered: that is byte for byte what
``to_wkb(byte_order=1, output_dimension=2)`` writes for such a geometry, so a blob is the
same whichever way it was made. Anything else (Z, big-endian, a repaired geometry) is
simply encoded as before.

Memos are kept per thread and only inside a ``scope`` (an import), and dropped when
the outermost one ends: nothing is retained between requests of the server.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

MULTIPOLYGON_2D_LE = b"\x01\x06\x00\x00\x00"
# An import reads its file and makes a few store queries; a memo dropped early only means
# encoding those geometries again.
_MEMOS_PER_THREAD = 4


@dataclass(frozen=True)
class _Memo:
    geometries: NDArray[np.object_]  # held so that their identities stay theirs
    identities: NDArray[np.uint64]  # of ``geometries``, in their order
    order: NDArray[np.intp]  # sorts ``identities``
    wkbs: NDArray[np.object_]

    def find(self, identities: NDArray[np.uint64]) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
        """Position in the memo of each identity, and whether it is there at all."""
        if len(identities) == len(self.identities) and np.array_equal(identities, self.identities):
            return np.arange(len(identities)), np.ones(len(identities), dtype=bool)  # same rows
        ordered = self.identities[self.order]
        slot = np.minimum(np.searchsorted(ordered, identities), len(ordered) - 1)
        return self.order[slot], ordered[slot] == identities


class _ThreadMemos(threading.local):
    def __init__(self) -> None:
        self.depth = 0
        self.memos: list[_Memo] = []


_local = _ThreadMemos()


@contextmanager
def scope() -> Iterator[None]:
    """Within this (in this thread), decoded geometries remember their WKB (also as a
    decorator: ``@scope()``)."""
    _local.depth += 1
    try:
        yield
    finally:
        _local.depth -= 1
        if _local.depth == 0:
            _local.memos.clear()


def remember(geometries: NDArray[np.object_], wkbs: NDArray[np.object_]) -> None:
    """Note that ``geometries[i]`` was decoded from ``wkbs[i]`` (outside a scope: nothing)."""
    if _local.depth == 0 or not len(geometries):
        return
    geometries = np.asarray(geometries, dtype=object)
    wkbs = np.asarray(wkbs, dtype=object)
    try:  # fixed-width bytes keep each WKB's first five bytes (a missing one: b"None")
        heads = wkbs.astype("S5")
    except (TypeError, ValueError, UnicodeError):  # not all bytes: encode them as before
        return
    reusable = (heads == MULTIPOLYGON_2D_LE) & ~shapely.is_missing(geometries)
    if not reusable.any():
        return
    kept = geometries[reusable]
    identities = _identities(kept)
    memo = _Memo(kept, identities, np.argsort(identities, kind="stable"), wkbs[reusable])
    _local.memos = [*_local.memos[-(_MEMOS_PER_THREAD - 1) :], memo]


def wkb_of(
    geometries: NDArray[np.object_], encode: Callable[[NDArray[np.object_]], NDArray[np.object_]]
) -> NDArray[np.object_]:
    """WKB of each geometry: the WKB it was decoded from where that is remembered, else
    ``encode`` of the others (all at once)."""
    wkbs, found = known(geometries)
    if not found.all():
        wkbs[~found] = encode(geometries[~found])
    return wkbs


def known(geometries: NDArray[np.object_]) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """For each geometry, the WKB it was decoded from (None when not remembered), and
    whether it was remembered."""
    found = np.full(len(geometries), None, dtype=object)
    missing = np.ones(len(geometries), dtype=bool)
    if not _local.memos or not len(geometries):
        return found, ~missing
    identities = _identities(geometries)
    for memo in reversed(_local.memos):
        rows = np.flatnonzero(missing)
        where, hit = memo.find(identities[rows])
        found[rows[hit]] = memo.wkbs[where[hit]]
        missing[rows[hit]] = False
        if not missing.any():
            break
    return found, ~missing


def _identities(geometries: NDArray[np.object_]) -> NDArray[np.uint64]:
    """``id`` of every object of the array.

    An object array holds pointers to its objects, and CPython's ``id`` is that pointer:
    reading the array's memory as integers gives every ``id`` at once (``map(id, …)``
    costs 16 ms for 80,000 geometries, this a copy of 640 kB).
    """
    if sys.implementation.name != "cpython" or not len(geometries):
        return np.fromiter(map(id, geometries), dtype=np.uint64, count=len(geometries))
    pointers = np.ascontiguousarray(geometries)
    memory = (ctypes.c_size_t * len(pointers)).from_address(pointers.ctypes.data)
    identities = np.ctypeslib.as_array(memory).astype(np.uint64)  # a copy
    del pointers  # only now may the (possible) contiguous copy go
    return identities
