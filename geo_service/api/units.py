"""``/api/units``: administrative units and villages."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import shapely
from fastapi import APIRouter, HTTPException, Query, Response

from geo_service.api.deps import StoreDep
from geo_service.api.params import AsOf, Parent, day
from geo_service.api.serialise import GEOJSON_MEDIA_TYPE, records
from geo_service.domain import UNIT_COLUMNS
from geo_service.hierarchy import ancestor_pairs
from geo_service.names import fold
from geo_service.store import UnitQuery

router = APIRouter(prefix="/api/units", tags=["units"])
LIST_COLUMNS = [c for c in UNIT_COLUMNS if c != "source"]


@router.get("", summary="List units (no geometry)")
def list_units(
    store: StoreDep,
    level: Annotated[int | None, Query(ge=1, le=4, description="1 province … 4 village")] = None,
    parent: Parent = None,
    q: Annotated[
        str | None, Query(max_length=200, description="name, accents/case ignored")
    ] = None,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    when = day(as_of)
    units = store.units(UnitQuery(as_of=when, level=level, parent_code=parent))
    if q:
        needle = fold(q)
        units = units[[needle in fold(name) for name in units["name"]]]
    units = units.assign(has_geometry=~units.geometry.isna().to_numpy())
    return {
        "as_of": when.isoformat(),
        "count": len(units),
        "units": records(units.head(limit), [*LIST_COLUMNS, "has_geometry"]),
    }


@router.get("/{code}", summary="One unit as a GeoJSON Feature, with its ancestors and lineage")
def get_unit(store: StoreDep, code: str, as_of: AsOf = None) -> Any:
    when = day(as_of)
    tree = store.units(UnitQuery(as_of=when))
    match = tree[tree["code"] == code]
    if match.empty:
        raise HTTPException(404, f"no unit with code '{code}' on {when.isoformat()}")
    pairs = ancestor_pairs(tree)
    chain = pairs.loc[(pairs["code"] == code) & (pairs["ancestor_code"] != code), "ancestor_code"]
    names = dict(zip(tree["code"], tree["name"], strict=True))
    lineage = store.lineage()
    props = records(match, UNIT_COLUMNS)[0] | {
        "as_of": when.isoformat(),
        "ancestors": [{"code": c, "name": names.get(c)} for c in chain],
        "children": int((tree["parent_code"] == code).sum()),
        "predecessors": sorted(lineage.loc[lineage["new_code"] == code, "old_code"]),
        "successors": sorted(lineage.loc[lineage["old_code"] == code, "new_code"]),
    }
    geometry = match.geometry.iloc[0]
    feature = {
        "type": "Feature",
        "id": code,
        "properties": props,
        "geometry": None if geometry is None else orjson.loads(shapely.to_geojson(geometry)),
    }
    return Response(orjson.dumps(feature), media_type=GEOJSON_MEDIA_TYPE)
