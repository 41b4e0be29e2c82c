"""``/api/coverage``: villages (or roll-ups) with their coverage, as GeoJSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from geo_service.api.views import ROLLUP_COLUMNS, VILLAGE_COLUMNS, TableAsked
from geo_service.domain import Level

router = APIRouter(prefix="/api/coverage", tags=["coverage"])


@router.get("", summary="Coverage as an RFC 7946 FeatureCollection (or CSV)")
def get_coverage(
    asked: TableAsked,
    level: Annotated[int, Query(ge=1, le=4, description="4 villages (default); 1-3 roll-ups")] = 4,
) -> Response:
    result = asked.view.result
    if level == int(Level.VILLAGE):
        frame = result.villages
        columns = VILLAGE_COLUMNS
    else:
        frame = result.rollups[result.rollups["level"] == level]
        columns = ROLLUP_COLUMNS
    return asked.answer(
        frame,
        columns=columns,
        csv_columns=columns,
        stem=f"coverage_{asked.parent or 'all'}_level{level}_{asked.as_of.isoformat()}",
        place_names=level == int(Level.VILLAGE),
        level=level,
        model_type=asked.model_type,
    )
