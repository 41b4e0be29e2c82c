"""The names of the commune, district and province each roll-up of a coverage result lies
in: what a village row carries (``api.views.with_place_names``), looked up by its parent's
code. Pure: built from the result's roll-ups alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo_service.domain import Level
from geo_service.hierarchy import UnitTree

# The levels a place is named at.
PLACE_LEVELS = (int(Level.COMMUNE), int(Level.DISTRICT), int(Level.PROVINCE))


@dataclass(frozen=True)
class PlaceNames:
    """Per roll-up whose chain up the tree the result holds whole (up to a unit without a
    parent): the name of the unit of each ``PLACE_LEVELS`` level in that chain, the
    roll-up itself included (None where the chain has no unit of that level). Roll-ups
    whose chain leaves the result (above the root of a subtree) are not held."""

    codes: pd.Index
    names: dict[int, NDArray[np.object_]]

    def positions(self, codes: NDArray[np.object_]) -> NDArray[np.intp]:
        """The position of each of ``codes`` in ``names``' arrays, -1 where not held."""
        found: NDArray[np.intp] = self.codes.get_indexer(pd.Index(codes, dtype=object))
        return found


def place_names_of(rollups: pd.DataFrame) -> PlaceNames:
    places = rollups[rollups["level"].isin(PLACE_LEVELS).to_numpy(dtype=bool)]
    places = pd.DataFrame(
        {
            column: places[column].to_numpy(dtype=object)
            for column in ("code", "name", "parent_code")
        }
        | {"level": places["level"].astype(int).to_numpy()}
    )
    chains = UnitTree(places).ancestors
    # The last unit of each chain (-1 marks past the top): whole if it has no parent.
    depth = (chains >= 0).sum(axis=1) - 1
    top = chains[np.arange(len(chains)), depth]
    whole = pd.isna(places["parent_code"].to_numpy(dtype=object)[top])
    by_level = {level: names[whole] for level, names in names_at_levels(places, chains).items()}
    codes = pd.Index(places["code"].to_numpy(dtype=object)[whole], dtype=object)
    return PlaceNames(codes, by_level)


def names_at_levels(
    places: pd.DataFrame, chains: NDArray[np.intp]
) -> dict[int, NDArray[np.object_]]:
    """Per chain (positions in ``places``, which has ``name`` and ``level``; -1 past the
    top), the name of its first unit of each of ``PLACE_LEVELS``: None where it has none."""
    # Position -1 (no unit) reads the appended last entry: no level, no name.
    levels = np.append(places["level"].astype(int).to_numpy(), 0)
    names = np.append(places["name"].to_numpy(dtype=object), np.array([None], dtype=object))
    rows = np.arange(len(chains))
    by_level: dict[int, NDArray[np.object_]] = {}
    for level in PLACE_LEVELS:
        at_level = levels[chains] == level
        found = names[chains[rows, at_level.argmax(axis=1)]]
        found[~at_level.any(axis=1)] = None
        by_level[level] = found
    return by_level
