"""``/api/map``: the data the map page at ``GET /`` fetches for the view it shows.

- ``features``: one level's units meeting a ``bbox`` as GeoJSON simplified for that view
  (``api/map_layers.py``), with what the page styles and shows on hover;
- ``gaps``: the uncovered villages in the ``bbox``: points to draw at ``zoom`` and the
  first of them by commune and name, for the list beside the map;
- ``units/{code}``: one unit's bounds, place and popup (the popup HTML the
  ``geo-service map`` file shows, from the same code);
- ``panel``: the title and the summary beside the map, for a unit or for everything.

Coverage comes from the view the ``CoverageCache`` keeps for the day; geometry is read
for the box (or the unit) only. Bad input is a 4xx with a message: a malformed or too
wide ``bbox``, a level or zoom out of range, a bad date, an unknown unit.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import JSONResponse

from geo_service.api.map_layers import (
    BBox,
    BoxTooLarge,
    features_in_box,
    gaps_in_box,
    place_names,
    unit_bounds,
)
from geo_service.api.ogc.errors import OGCError
from geo_service.api.ogc.params import bbox_of
from geo_service.api.params import AsOf, day
from geo_service.api.serialise import GEOJSON_MEDIA_TYPE
from geo_service.api.views import CoverageSourceDep
from geo_service.coverage.reads import CoverageView
from geo_service.coverage.unit_fate import unit_fate
from geo_service.domain import Level
from geo_service.web.popups import display_name, site_table, unit_popup, village_popup
from geo_service.web.scope import UnitNotInView, find_unit, unit_scope
from geo_service.web.side_panel import side_panel_html, unit_title

router = APIRouter(prefix="/api/map", tags=["map"])

BBoxParam = Annotated[
    str, Query(description="west,south,east,north in lon/lat (WGS 84), west <= east")
]
LevelParam = Annotated[
    int, Query(ge=1, le=4, description="1 provinces, 2 districts, 3 communes, 4 villages")
]
ZoomParam = Annotated[int, Query(ge=0, le=22, description="the map's zoom (points are thinned)")]
ListedParam = Annotated[
    int, Query(ge=0, le=1000, description="how many uncovered villages to list by name")
]
Code = Annotated[str, Path(max_length=40, description="the unit's code")]


@router.get("/features", summary="One level's units in a box, simplified for the map")
def map_features(
    source: CoverageSourceDep, bbox: BBoxParam, level: LevelParam, as_of: AsOf = None
) -> Response:
    box = _box(bbox)
    view = source.view(day(as_of), None)
    try:
        drawn = features_in_box(
            source.store, view, level, box, partial(source.cache.no_data_areas, source.store, view)
        )
    except BoxTooLarge as exc:
        raise HTTPException(400, str(exc)) from None
    return Response(drawn.body, media_type=GEOJSON_MEDIA_TYPE)


@router.get("/gaps", summary="The uncovered villages in a box: points to draw and a list")
def map_gaps(
    source: CoverageSourceDep,
    bbox: BBoxParam,
    zoom: ZoomParam,
    listed: ListedParam = 100,
    as_of: AsOf = None,
) -> Response:
    box = _box(bbox)
    view = source.view(day(as_of), None)
    return Response(
        orjson.dumps(gaps_in_box(view, box, zoom, listed)), media_type="application/json"
    )


@router.get("/units/{code}", summary="A unit's bounds, place and popup, for the map")
def map_unit(source: CoverageSourceDep, code: Code, as_of: AsOf = None) -> Response:
    when = day(as_of)
    view = source.view(when, None)
    try:
        unit = find_unit(code, view.result.rollups, view.result.villages)
    except UnitNotInView:
        fate = unit_fate(source.store, code, when)
        return JSONResponse(
            status_code=404, content={"detail": fate.message(), "unit": fate.as_dict()}
        )
    level = int(unit["level"])
    place = place_names(source.store, when, unit.get("parent_code"))
    body = {
        "code": code,
        "name": display_name(unit["name"], unit["unit_type"]),
        "level": level,
        "as_of": when.isoformat(),
        "place": place,
        "bounds": unit_bounds(source.store, when, unit),
        "popup": _popup(view, unit, place),
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/panel", summary="The title and the summary beside the map (HTML inside JSON)")
def map_panel(
    source: CoverageSourceDep,
    unit: Annotated[str | None, Query(max_length=40, description="a unit's code")] = None,
    as_of: AsOf = None,
) -> Response:
    when = day(as_of)
    view = source.view(when, None)
    try:
        scope = unit_scope(view, unit or None)
    except UnitNotInView:
        raise HTTPException(404, f"no unit with code '{unit}' on {when.isoformat()}") from None
    parent = scope.focus.get("parent_code") if scope.focus is not None else None
    body = {
        "title": unit_title(scope),
        "place": place_names(source.store, view.as_of, parent),
        "html": side_panel_html(scope, view.village_sources, when, links=True),
    }
    return Response(orjson.dumps(body), media_type="application/json")


def _box(text: str) -> BBox:
    try:
        box = bbox_of(text)
    except OGCError as exc:
        raise HTTPException(400, exc.description) from None
    assert box is not None
    if box[0] > box[2]:
        raise HTTPException(400, f"bbox must have west <= east, got '{text[:60]}'")
    return box


def _popup(view: CoverageView, unit: dict[str, Any], place: list[str]) -> str:
    code = str(unit["code"])
    sites = view.result.sites
    sites = site_table(sites[sites["unit_code"] == code], view.models, view.model_types)
    if int(unit["level"]) != int(Level.VILLAGE):
        return unit_popup(unit, sites)
    type_names = dict(zip(view.model_types["code"], view.model_types["name_vi"], strict=True))
    return village_popup(unit, place[0] if place else "", sites, type_names)
