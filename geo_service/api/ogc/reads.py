"""What the OGC API reads: one day's coverage, behind ``coverage_for`` alone, so that a
cheaper read (a cache by store generation, a subtree read) changes this module only."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import shapely
from fastapi import HTTPException

from geo_service.api.ogc.collections import MODEL_TYPE, PARENT, FeatureCollectionSpec
from geo_service.api.ogc.errors import bad_parameter
from geo_service.api.ogc.params import BBox, ItemsQuery
from geo_service.api.views import coverage_view, with_place_names
from geo_service.coverage.reads import CoverageView
from geo_service.coverage.unit_fate import UnitNotOnDate
from geo_service.settings import Settings
from geo_service.store import Store, UnitQuery


def coverage_for(
    store: Store,
    settings: Settings,
    as_of: date,
    parent: str | None = None,
    model_type: str | None = None,
) -> CoverageView:
    """Coverage on ``as_of`` (of ``parent``'s subtree; with coverage requiring
    ``model_type``); an unknown parent or model type is a bad parameter."""
    try:
        return coverage_view(store, settings, as_of, parent, model_type)
    except UnitNotOnDate as exc:
        raise bad_parameter(f"parent: {exc.fate.message()}") from None
    except HTTPException as exc:  # the model type is not in the catalogue
        raise bad_parameter(str(exc.detail)) from None


def matching_features(
    store: Store, settings: Settings, spec: FeatureCollectionSpec, query: ItemsQuery
) -> gpd.GeoDataFrame:
    """Every feature of ``spec`` that ``query`` selects, in the order of their ids."""
    view = coverage_for(
        store, settings, query.as_of, query.filters.get(PARENT), query.filters.get(MODEL_TYPE)
    )
    features = spec.features(view)
    for name, value in query.filters.items():
        column = spec.queryables[name].column
        if column is None:
            continue
        wanted: object = int(value) if spec.queryables[name].integer else value
        features = features[(features[column] == wanted).to_numpy(dtype=bool)]
    if query.bbox is not None:
        features = features.iloc[np.sort(_meeting(features, query.bbox))]
    return features.sort_values(spec.id_column, kind="stable")


def page_rows(
    store: Store, spec: FeatureCollectionSpec, features: gpd.GeoDataFrame, as_of: date
) -> gpd.GeoDataFrame:
    """``features`` with the names of their places, where the collection shows them (read
    for the page only)."""
    if not spec.place_names:
        return features
    return gpd.GeoDataFrame(with_place_names(store, as_of, features), crs=features.crs)


def _meeting(features: gpd.GeoDataFrame, bbox: BBox) -> np.ndarray:
    """Positions of the features whose geometry meets ``bbox`` (split at the antimeridian
    when its west edge lies east of its east edge)."""
    west, south, east, north = bbox
    boxes = (
        [shapely.box(west, south, east, north)]
        if west <= east
        else [shapely.box(west, south, 180, north), shapely.box(-180, south, east, north)]
    )
    found = [features.sindex.query(box, predicate="intersects") for box in boxes]
    return np.unique(np.concatenate(found)) if found else np.array([], dtype=int)


def earliest_day(store: Store) -> date | None:
    """The first day the store's units answer for (the start of every temporal extent);
    None when a unit has no start (valid since before any record) or there is none."""
    starts = store.units(UnitQuery(with_geometry=False, columns=("valid_from",)))["valid_from"]
    if starts.empty or starts.isna().any():
        return None
    return min(starts)
