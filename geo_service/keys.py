"""Row keys: one integer per row for a combination of columns, computed with numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def combined_keys(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    """One key per row for the rows' combination of ``keys`` (non-negative ints), numbered
    by first appearance, and the first row of each key."""
    count = len(keys[0])
    combined = np.zeros(count, dtype=np.int64)
    combinations = 1
    for key in keys:
        width = int(key.max()) + 1 if count else 1
        if combinations * width >= 2**62:  # renumber before the product could overflow
            combined, uniques = pd.factorize(combined)
            combinations = len(uniques)
        combined = combined * width + key.astype(np.int64)
        combinations *= width
    combined, uniques = pd.factorize(combined)
    return combined, first_rows(combined, len(uniques))


def first_rows(keys: np.ndarray, count: int) -> list[int]:
    """The first row of each of the keys 0..count-1."""
    first = np.full(count, len(keys), dtype=np.intp)
    np.minimum.at(first, keys, np.arange(len(keys)))
    return first.tolist()
