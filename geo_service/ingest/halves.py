"""GEOS work on large geometry arrays, split over two threads.

Shapely's vectorised predicates and constructions release the GIL while GEOS works, so
the two halves of a national layer are checked at the same time. Functions that build
Python objects per row (``from_wkb``, ``to_wkb``) gain nothing and are not split.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_SPLIT_FROM = 20_000  # below this, starting a thread costs more than it saves


def in_halves(function: Callable[[np.ndarray], np.ndarray], geometries: np.ndarray) -> np.ndarray:
    """``function(geometries)``, computed as two halves on two threads for large arrays."""
    if len(geometries) < _SPLIT_FROM:
        return function(geometries)
    middle = len(geometries) // 2
    with ThreadPoolExecutor(max_workers=1) as worker:
        second = worker.submit(function, geometries[middle:])
        first = function(geometries[:middle])
        return np.concatenate([first, second.result()])
