"""``/api/gaps``: villages with no (qualifying) model — where planners send new teams."""

from __future__ import annotations

from fastapi import APIRouter, Response

from geo_service.api.views import GAP_CSV_COLUMNS, VILLAGE_COLUMNS, TableAsked

router = APIRouter(prefix="/api/gaps", tags=["gaps"])


@router.get("", summary="Uncovered villages as GeoJSON, or CSV (UTF-8 with BOM) for Excel")
def get_gaps(asked: TableAsked) -> Response:
    villages = asked.view.result.villages
    gaps = villages[~villages["covered"]]
    return asked.answer(
        gaps.sort_values(["parent_code", "name", "code"], kind="stable"),
        place_names=True,
        columns=VILLAGE_COLUMNS,
        csv_columns=GAP_CSV_COLUMNS,
        stem=f"gaps_{asked.parent or 'all'}_{asked.as_of.isoformat()}",
    )
