"""A table's rows as the properties of features, made once and then picked row by row.

Built from a table indexed by code (the tiles' attribute tables, one per kept coverage
view), so that a request that draws a few hundred of the country's units converts only
their rows, and none of them through pandas again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo_service.values import plain


@dataclass(frozen=True)
class FeatureProperties:
    """Rows of a table as dicts of plain values (``values.plain``), missing values left
    out, as MVT has no null; ``code`` first, then the table's columns in order.

    Kept column by column: each distinct value is one Python object, and a cell is a
    pointer to it. Every column ends with one extra None, the row of a code the table
    does not hold (``pandas.Index.get_indexer`` gives -1)."""

    codes: pd.Index
    names: tuple[str, ...]
    columns: tuple[NDArray[np.object_], ...]

    @classmethod
    def of(cls, table: pd.DataFrame) -> FeatureProperties:
        """From ``table``, indexed by unique codes."""
        return cls(
            table.index,
            tuple(str(name) for name in table.columns),
            tuple(_plain_column(table[name]) for name in table.columns),
        )

    def __len__(self) -> int:
        return len(self.codes)

    def of_codes(self, codes: pd.Series) -> list[dict[str, Any]]:
        """The rows of ``codes``, in their order; a code not in the table has only its code."""
        positions = self.codes.get_indexer(pd.Index(codes))
        return self._records([plain(code) for code in codes.tolist()], positions)

    def at_rows(self, rows: NDArray[np.intp]) -> list[dict[str, Any]]:
        """The rows at positions ``rows`` of the table."""
        return self._records([plain(code) for code in self.codes[rows].tolist()], rows)

    def _records(self, codes: Sequence[Any], positions: NDArray[np.intp]) -> list[dict[str, Any]]:
        names = ("code", *self.names)
        picked = [column[positions].tolist() for column in self.columns]
        return [
            {name: value for name, value in zip(names, row, strict=True) if value is not None}
            for row in zip(codes, *picked, strict=True)
        ]


def _plain_column(values: pd.Series) -> NDArray[np.object_]:
    """``values`` as plain Python objects, each distinct value made once, and a final None."""
    positions, distinct = pd.factorize(values, use_na_sentinel=True)
    lookup = np.empty(len(distinct) + 1, dtype=object)
    for index, value in enumerate(distinct):
        lookup[index] = plain(value)
    # A missing value gets position -1: the final None.
    column = np.empty(len(values) + 1, dtype=object)
    column[:-1] = lookup[positions]
    return column
