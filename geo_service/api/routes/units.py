"""``/api/units``: administrative units and villages.

A search (``q``) also finds units that had ended by ``as_of`` — a commune merged away in
a reform is still looked for by its old name — marked ``retired`` with their validity and
the units that succeeded them, so that a search never ends at a dead name.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from numpy.typing import NDArray

from geo_service.api.deps import StoreDep
from geo_service.api.paging import PageAsked
from geo_service.api.params import AsOf, Parent, day
from geo_service.api.serialise import GEOJSON_MEDIA_TYPE, records
from geo_service.api.views import ancestors
from geo_service.coverage.unit_fate import row_fates, unit_fate
from geo_service.domain import UNIT_COLUMNS
from geo_service.output.geometry import geojson_text
from geo_service.store import Store, UnitQuery
from geo_service.text.names import fold

router = APIRouter(prefix="/api/units", tags=["units"])
LIST_COLUMNS = [c for c in UNIT_COLUMNS if c != "source"]


@router.get("", summary="List units (no geometry)")
def list_units(
    store: StoreDep,
    page: PageAsked,
    level: Annotated[int | None, Query(ge=1, le=4, description="1 province … 4 village")] = None,
    parent: Parent = None,
    q: Annotated[
        str | None, Query(max_length=200, description="name, accents/case ignored")
    ] = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    when = day(as_of)
    query = UnitQuery(as_of=when, level=level, parent_code=parent)
    if not q:
        rows = store.units(replace(query, limit=page.limit, offset=page.offset))
        total = store.count_units(query)
        return {
            "as_of": when.isoformat(),
            "count": total,
            **page.body(total),
            "units": _current(rows),
        }
    # Names are matched accents and case aside, which SQL cannot do: every name of the
    # query is read (without geometry), and only the page found is read whole.
    needle = fold(q)
    names = store.units(replace(query, with_geometry=False, columns=("code", "name")))
    found = names.loc[_matches(names["name"], needle), "code"]
    current = store.units(replace(query, codes=tuple(found.iloc[page.rows(len(found))])))
    retired = _retired_matching(store, needle, when, level, parent)
    # The whole list is the units standing, then the retired ones.
    start = max(0, page.offset - len(found))
    rows = _current(current) + retired[start : start + page.limit - len(current)]
    total = len(found) + len(retired)
    return {"as_of": when.isoformat(), "count": total, **page.body(total), "units": rows}


def _current(units: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    return [row | {"retired": False, "successors": []} for row in _listed(units)]


def _listed(units: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The listed columns as plain values, with whether each unit can be drawn."""
    drawn = ~(units.geometry.isna() | units.geometry.is_empty).to_numpy(dtype=bool)
    return [
        row | {"has_geometry": bool(has)}
        for row, has in zip(records(units, LIST_COLUMNS), drawn, strict=True)
    ]


def _matches(names: pd.Series, needle: str) -> NDArray[np.bool_]:
    # A boolean array, not a list: indexing a frame with an empty list selects no columns.
    return np.array([needle in fold(name) for name in names], dtype=bool)


def _retired_matching(
    store: Store,
    needle: str,
    when: date,
    level: int | None,
    parent: str | None,
) -> list[dict[str, Any]]:
    """Units that had ended by ``when`` and match ``needle``, with what became of them.

    A code that still stands under the same name (a village carried into its new commune,
    a province kept) is the same place, listed as it stands now (when the filters allow).
    """
    columns = ("code", "name", "valid_from", "valid_to")
    query = UnitQuery(
        level=level, parent_code=parent, ended=True, with_geometry=False, columns=columns
    )
    ended = store.units(query)
    ended = ended[(ended["valid_to"] <= when).to_numpy(dtype=bool)]
    ended = ended[_matches(ended["name"], needle)]
    if ended.empty:
        return []
    # Only now the geometry, of the few units found (all ended ones would be every
    # pre-reform commune and village).
    found = set(zip(ended["code"], ended["valid_from"], strict=True))
    codes = tuple(sorted(set(ended["code"])))
    standing = store.units(UnitQuery(as_of=when, codes=codes, with_geometry=False))
    current = set(zip(standing["code"], standing["name"], strict=True))
    ended = store.units(UnitQuery(codes=codes, ended=True))
    keys = zip(ended["code"], ended["valid_from"], ended["name"], strict=True)
    keep = [(c, v) in found and (c, n) not in current for c, v, n in keys]
    ended = ended[np.asarray(keep, dtype=bool)]
    fates = row_fates(store, ended, when)
    return [
        row | {"retired": True, "successors": [s.as_dict() for s in fate.successors]}
        for row, fate in zip(_listed(ended), fates, strict=True)
    ]


@router.get("/{code}", summary="One unit as a GeoJSON Feature, with its ancestors and lineage")
def get_unit(store: StoreDep, code: str, as_of: AsOf = None) -> Any:
    when = day(as_of)
    match = store.units(UnitQuery(as_of=when, codes=(code,)))
    if match.empty:
        fate = unit_fate(store, code, when)
        return JSONResponse(
            status_code=404, content={"detail": fate.message(), "unit": fate.as_dict()}
        )
    lineage = store.lineage()
    props = records(match, UNIT_COLUMNS)[0] | {
        "as_of": when.isoformat(),
        "ancestors": [
            {"code": unit["code"], "name": unit["name"]}
            for unit in ancestors(store, when, match["parent_code"].iloc[0])
        ],
        "children": store.count_units(UnitQuery(as_of=when, parent_code=code)),
        "predecessors": sorted(lineage.loc[lineage["new_code"] == code, "old_code"]),
        "successors": sorted(lineage.loc[lineage["old_code"] == code, "new_code"]),
    }
    geometry = match.geometry.iloc[0]
    feature = {
        "type": "Feature",
        "id": code,
        "properties": props,
        "geometry": None if geometry is None else orjson.loads(geojson_text(geometry)),
    }
    return Response(orjson.dumps(feature), media_type=GEOJSON_MEDIA_TYPE)
