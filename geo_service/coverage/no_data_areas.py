"""The no-data areas of one coverage view (the parts of communes whose villages are
unknown), built once for the whole view and then picked per box.

Pure, no I/O: ``coverage.reads.no_data_areas_of`` reads the communes' geometry and hands
it here; the coverage cache keeps the result with the view it was built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo_service.coverage.village_lists import NO_DATA_AREA_COLUMNS
from geo_service.domain import WGS84

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class NoDataAreas:
    """Every no-data area of a view (``NO_DATA_AREA_COLUMNS``) with the bounds of the
    commune it belongs to (west, south, east, north, as ``Store.bbox_bounds`` gives them;
    NaN for a commune without geometry).

    A box gets the areas of the communes whose bounds meet it, as a bbox read of those
    communes from the store would find them: an area outside the box still comes with the
    rest of its commune.
    """

    areas: gpd.GeoDataFrame
    commune_bounds: NDArray[np.float64]

    @classmethod
    def of(
        cls, areas: gpd.GeoDataFrame, codes: pd.Series, bounds: NDArray[np.float64]
    ) -> NoDataAreas:
        """``areas`` (``village_lists.areas_without_villages``) with the bounds of their
        communes: ``bounds[i]`` (west, south, east, north) is commune ``codes[i]``'s."""
        at = pd.Index(codes).get_indexer(areas["commune_code"])
        padded = np.vstack([bounds.reshape(-1, 4), np.full((1, 4), np.nan)])
        return cls(areas, padded[at])  # -1 (a commune not given) reads the NaN row

    @classmethod
    def none(cls) -> NoDataAreas:
        empty = gpd.GeoDataFrame(
            {column: [] for column in NO_DATA_AREA_COLUMNS[:-1]}, geometry=[], crs=WGS84
        )
        return cls(empty, np.empty((0, 4)))

    def meeting(self, bbox: BBox) -> gpd.GeoDataFrame:
        """The areas of the communes whose bounding box meets ``bbox``, in kept order."""
        west, south, east, north = bbox
        bounds = self.commune_bounds
        inside = np.flatnonzero(
            (bounds[:, 0] <= east)
            & (bounds[:, 2] >= west)
            & (bounds[:, 1] <= north)
            & (bounds[:, 3] >= south)
        )
        if not len(inside):
            return self._nothing
        return self.areas.iloc[inside].reset_index(drop=True)

    @cached_property
    def _nothing(self) -> gpd.GeoDataFrame:
        return self.areas.iloc[:0]
