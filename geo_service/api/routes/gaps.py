"""``/api/gaps``: villages with no (qualifying) model — where planners send new teams."""

from __future__ import annotations

from fastapi import APIRouter, Response

from geo_service.api.deps import SettingsDep, StoreDep
from geo_service.api.params import AsOf, Format, ModelTypeFilter, Parent, day
from geo_service.api.routes.coverage import VILLAGE_COLUMNS
from geo_service.api.views import (
    Download,
    coverage_view,
    policy_of,
    table_response,
    with_place_names,
)

router = APIRouter(prefix="/api/gaps", tags=["gaps"])
CSV_COLUMNS = [
    "code",
    "name",
    "unit_type",
    "commune_name",
    "district_name",
    "province_name",
    "population",
    "households",
    "geometry_quality",
    "model_count",
    "missing_types",
    "label_lon",
    "label_lat",
]


@router.get("", summary="Uncovered villages as GeoJSON, or CSV (UTF-8 with BOM) for Excel")
def get_gaps(
    store: StoreDep,
    settings: SettingsDep,
    parent: Parent = None,
    model_type: ModelTypeFilter = None,
    as_of: AsOf = None,
    format: Format = "geojson",
    download: Download = False,
) -> Response:
    when = day(as_of)
    view = coverage_view(store, settings, when, parent, model_type)
    villages = view.result.villages
    gaps = with_place_names(store, when, villages[~villages["covered"]])
    gaps = gaps.sort_values(["parent_code", "name"])
    extra = {"as_of": when.isoformat(), "parent": parent, "policy": policy_of(settings, model_type)}
    return table_response(
        gaps,
        columns=VILLAGE_COLUMNS,
        csv_columns=CSV_COLUMNS,
        format=format,
        stem=f"gaps_{parent or 'all'}_{when.isoformat()}",
        extra=extra,
        download_file=download,
    )
