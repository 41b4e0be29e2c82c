"""``/api/coverage``: villages (or roll-ups) with their coverage, as GeoJSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from geo_service.api.deps import SettingsDep, StoreDep
from geo_service.api.params import AsOf, Format, ModelTypeFilter, Parent, day
from geo_service.api.views import (
    Download,
    coverage_view,
    policy_of,
    table_response,
    with_place_names,
)
from geo_service.domain import Level

router = APIRouter(prefix="/api/coverage", tags=["coverage"])

VILLAGE_COLUMNS = [
    "code",
    "name",
    "unit_type",
    "parent_code",
    "commune_name",
    "geometry_quality",
    "status",
    "covered",
    "model_count",
    "model_types",
    "missing_types",
    "team_count",
    "members",
    "member_households",
    "cameras",
    "population",
    "households",
    "label_lon",
    "label_lat",
]
ROLLUP_COLUMNS = [
    "code",
    "name",
    "unit_type",
    "level",
    "parent_code",
    "villages_total",
    "villages_covered",
    "villages_uncovered",
    "coverage_pct",
    # How complete the village list is (no_data rows have no village counts).
    "data_status",
    "communes_with_villages",
    "communes_total",
    "source_communes_with_villages",
    "source_communes_total",
    "models",
    "model_types",
    "teams",
    "members",
    "member_households",
    "cameras",
    "population",
]


@router.get("", summary="Coverage as an RFC 7946 FeatureCollection (or CSV)")
def get_coverage(
    store: StoreDep,
    settings: SettingsDep,
    parent: Parent = None,
    level: Annotated[int, Query(ge=1, le=4, description="4 villages (default); 1-3 roll-ups")] = 4,
    model_type: ModelTypeFilter = None,
    as_of: AsOf = None,
    format: Format = "geojson",
    download: Download = False,
) -> Response:
    when = day(as_of)
    view = coverage_view(store, settings, when, parent, model_type)
    if level == int(Level.VILLAGE):
        frame = with_place_names(store, when, view.result.villages)
        columns = VILLAGE_COLUMNS
    else:
        frame = view.result.rollups[view.result.rollups["level"] == level]
        columns = ROLLUP_COLUMNS
    extra = {
        "as_of": when.isoformat(),
        "parent": parent,
        "level": level,
        "model_type": model_type,
        "policy": policy_of(settings, model_type),
    }
    return table_response(
        frame,
        columns=columns,
        csv_columns=columns,
        format=format,
        stem=f"coverage_{parent or 'all'}_level{level}_{when.isoformat()}",
        extra=extra,
        download_file=download,
    )
