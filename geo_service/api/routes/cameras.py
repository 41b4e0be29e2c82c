"""``/api/cameras``: camera points as a GeoJSON layer, served only when the setting allows.

Camera locations are public-safety sensitive: until roles exist,
``Settings.camera_points_public`` (``GEO_SERVICE_CAMERA_POINTS_PUBLIC``, off by default)
decides for every reader. Off, this route answers 404 saying so, and no other output
carries a site's point (the coverage tables, downloads, tiles and OGC collections list
counts per unit only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from geo_service.api.deps import SettingsDep, StoreDep
from geo_service.api.ogc.errors import OGCError
from geo_service.api.ogc.params import bbox_of
from geo_service.api.paging import PageAsked
from geo_service.api.params import AsOf, day
from geo_service.api.serialise import GEOJSON_MEDIA_TYPE, feature_collection
from geo_service.coverage.camera_points import CAMERA_COLUMNS, camera_points

router = APIRouter(prefix="/api/cameras", tags=["cameras"])
CAMERAS_OFF = (
    "camera points are not served: camera locations are public-safety sensitive, and this "
    "service does not publish them (setting GEO_SERVICE_CAMERA_POINTS_PUBLIC is off). "
    "Camera counts per unit are in /api/coverage."
)


@router.get(
    "",
    summary="Camera points as GeoJSON (only when GEO_SERVICE_CAMERA_POINTS_PUBLIC is on)",
    responses={404: {"description": "camera points are not served (the setting is off)"}},
)
def get_cameras(
    store: StoreDep,
    settings: SettingsDep,
    page: PageAsked,
    unit: Annotated[
        str | None, Query(description="code of a unit; only the cameras in its subtree")
    ] = None,
    bbox: Annotated[
        str | None, Query(description="west,south,east,north in lon/lat: only cameras inside")
    ] = None,
    as_of: AsOf = None,
) -> Response:
    if not settings.camera_points_public:
        raise HTTPException(404, CAMERAS_OFF)
    try:
        box = bbox_of(bbox)
    except OGCError as exc:
        raise HTTPException(400, exc.description) from None
    when = day(as_of)
    points = camera_points(store, when, unit, box)
    total = len(points)
    shown = points.iloc[page.rows(total)]
    head = {"as_of": when.isoformat(), "unit": unit, **page.body(total)}
    head |= {"numberMatched": total, "numberReturned": len(shown)}
    body = feature_collection(shown, CAMERA_COLUMNS, id_column="team_id", extra=head)
    return Response(body, media_type=GEOJSON_MEDIA_TYPE, headers=page.headers(total))
