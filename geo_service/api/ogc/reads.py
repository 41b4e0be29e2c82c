"""What the OGC API reads: one day's coverage from the coverage cache (``CoverageCache``,
kept per store generation, policy and day, without geometry), and geometry only for what
a request filters by or shows.

- A ``bbox`` is answered from the store's spatial index: the units of the collection's
  level whose bounding box meets it are read (with their geometry, to test it exactly),
  never the country; their rows are taken from the kept view by position (its code
  indexes), and a page's place names from the names the view keeps for its roll-ups.
- The features of a page take their geometry as GeoJSON text kept per store generation
  (``api.geometry_texts``); model sites carry their own (the unit's label point).
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import replace
from datetime import date

import geopandas as gpd
import numpy as np
import shapely
from fastapi import HTTPException

from geo_service.api.geometry_texts import GeometryTexts
from geo_service.api.ogc.collections import MODEL_TYPE, PARENT, FeatureCollectionSpec
from geo_service.api.ogc.errors import bad_parameter
from geo_service.api.ogc.params import BBox, ItemsQuery
from geo_service.api.serialise import GeometryTextsOf
from geo_service.api.views import CoverageSource, with_place_names
from geo_service.coverage.reads import CoverageView, rows_held
from geo_service.coverage.unit_fate import UnitNotOnDate
from geo_service.output.geometry import COORDINATE_DECIMALS
from geo_service.store import Store, UnitQuery

Extent = list[float] | None


def coverage_for(
    source: CoverageSource,
    as_of: date,
    parent: str | None = None,
    model_type: str | None = None,
) -> CoverageView:
    """Coverage on ``as_of`` (of ``parent``'s subtree; with coverage requiring
    ``model_type``), kept or computed by the coverage cache; an unknown parent or model
    type is a bad parameter."""
    try:
        return source.view(as_of, parent, model_type)
    except UnitNotOnDate as exc:
        raise bad_parameter(f"parent: {exc.fate.message()}") from None
    except HTTPException as exc:  # the model type is not in the catalogue
        raise bad_parameter(str(exc.detail)) from None


def items_view(source: CoverageSource, query: ItemsQuery) -> CoverageView:
    """The coverage ``query`` reads: of its day, narrowed to its parent, under its policy."""
    return coverage_for(
        source, query.as_of, query.filters.get(PARENT), query.filters.get(MODEL_TYPE)
    )


def matching_features(
    store: Store, view: CoverageView, spec: FeatureCollectionSpec, query: ItemsQuery
) -> gpd.GeoDataFrame:
    """Every feature of ``spec`` in ``view`` that ``query`` selects, in the order of their
    ids."""
    if query.bbox is not None and spec.unit_geometry:
        view = units_of(view, units_meeting(store, query.as_of, query.bbox, spec.level))
    features = spec.features(view)
    for name, value in query.filters.items():
        column = spec.queryables[name].column
        if column is None:
            continue
        wanted: object = int(value) if spec.queryables[name].integer else value
        features = features[(features[column] == wanted).to_numpy(dtype=bool)]
    if query.bbox is not None and not spec.unit_geometry:
        features = features.iloc[np.sort(_meeting(features, query.bbox))]
    return features.sort_values(spec.id_column, kind="stable")


def units_of(view: CoverageView, codes: Collection[str]) -> CoverageView:
    """``view`` holding only the villages and roll-ups of ``codes``, taken by position
    (the view's code indexes) in the view's order: a collection of units selects its
    features from these rows as it would from all of them."""
    wanted = list(codes)
    result = view.result
    kept = replace(
        result,
        villages=rows_held(result.villages, view.village_codes, wanted),
        rollups=rows_held(result.rollups, view.rollup_codes, wanted),
    )
    return replace(view, result=kept)


def units_meeting(
    store: Store, as_of: date, bbox: BBox, level: int | None = None
) -> frozenset[str]:
    """Codes of the units of ``as_of`` (of ``level``, if given) whose geometry meets
    ``bbox``: those whose bounding box meets it (the store's spatial index), tested
    exactly."""
    met: set[str] = set()
    for box in _boxes(bbox):
        query = UnitQuery(as_of=as_of, level=level, bbox=box.bounds, columns=("code",))
        candidates = store.units(query)
        meets = shapely.intersects(candidates.geometry.to_numpy(), box)
        met.update(candidates.loc[meets, "code"])
    return frozenset(met)


def page_rows(
    store: Store, spec: FeatureCollectionSpec, features: gpd.GeoDataFrame, view: CoverageView
) -> gpd.GeoDataFrame:
    """``features`` (of ``view``) with the names of their places, where the collection
    shows them (looked up for the page only)."""
    if not spec.place_names:
        return features
    places = with_place_names(store, view.as_of, features, view)
    if isinstance(places, gpd.GeoDataFrame):  # a copy of ``features``: its type is kept
        return places
    return gpd.GeoDataFrame(places, crs=features.crs)


def geometry_texts_of(
    spec: FeatureCollectionSpec, texts: GeometryTexts, store: Store, as_of: date
) -> GeometryTextsOf | None:
    """Where a page of ``spec`` takes its geometry: units' kept texts, or (None) the
    features' own geometry."""
    return texts.reader(store, as_of) if spec.unit_geometry else None


def _meeting(features: gpd.GeoDataFrame, bbox: BBox) -> np.ndarray:
    """Positions of the features whose geometry meets ``bbox``."""
    found = [features.sindex.query(box, predicate="intersects") for box in _boxes(bbox)]
    return np.unique(np.concatenate(found)) if found else np.array([], dtype=int)


def _boxes(bbox: BBox) -> list[shapely.Polygon]:
    """``bbox`` as boxes, split at the antimeridian when its west edge lies east of its
    east edge."""
    west, south, east, north = bbox
    if west <= east:
        return [shapely.box(west, south, east, north)]
    return [shapely.box(west, south, 180, north), shapely.box(-180, south, east, north)]


class CollectionExtents:
    """Each collection's spatial extent (the bounds of its features' geometry) per store
    generation and day, worked out on first use: a collection's description costs the
    country's geometry once per import, not per request. Thread-safe."""

    def __init__(self) -> None:
        self._kept: dict[tuple[int, date, str], Extent] = {}
        self._lock = threading.Lock()

    def of(self, spec: FeatureCollectionSpec, view: CoverageView, store: Store) -> Extent:
        generation = store.generation()
        key = (generation, view.as_of, spec.id)
        with self._lock:
            if key in self._kept:
                return self._kept[key]
        extent = _extent(spec, view, store)
        if store.generation() == generation:
            with self._lock:
                # Generations only grow: the extents of older ones are never asked again.
                for old in [k for k in self._kept if k[0] < generation]:
                    del self._kept[old]
                self._kept[key] = extent
        return extent


def _extent(spec: FeatureCollectionSpec, view: CoverageView, store: Store) -> Extent:
    features = spec.features(view)
    if spec.unit_geometry:
        query = UnitQuery(as_of=view.as_of, codes=tuple(features["code"]), columns=("code",))
        geometry = store.units(query).geometry
    else:
        geometry = features.geometry
    drawn = geometry[~(geometry.isna() | geometry.is_empty)]
    if drawn.empty:
        return None
    return [round(float(value), COORDINATE_DECIMALS) for value in drawn.total_bounds]


def earliest_day(store: Store) -> date | None:
    """The first day the store's units answer for (the start of every temporal extent);
    None when a unit has no start (valid since before any record) or there is none."""
    starts = store.units(UnitQuery(with_geometry=False, columns=("valid_from",)))["valid_from"]
    if starts.empty or starts.isna().any():
        return None
    return min(starts)
