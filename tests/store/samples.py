"""Rows for the store tests: a province, a commune before and after the 2025 reform, a
village without geometry, and frames in the ``domain`` layouts."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS, UNIT_COLUMNS
from geo_service.store import ImportSource

SOURCE = ImportSource("boundaries", "test.geojson", "0" * 64)


def units_frame(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    defaults: dict[str, object] = {
        "unit_type": "xa",
        "level": 3,
        "parent_code": None,
        "population": None,
        "households": None,
        "valid_from": None,
        "valid_to": None,
        "geometry_quality": "surveyed",
        "label_lon": None,
        "label_lat": None,
        "source": "test",
    }
    full = [defaults | row for row in rows]
    frame = pd.DataFrame(full)
    geometry = frame.pop("geometry")
    return gpd.GeoDataFrame(frame[UNIT_COLUMNS], geometry=list(geometry), crs="EPSG:4326")


def models_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    defaults = {c: None for c in MODEL_COLUMNS} | {"status": "active", "extra": {}}
    return pd.DataFrame([defaults | r for r in rows], columns=MODEL_COLUMNS)


def teams_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    defaults = {c: None for c in TEAM_COLUMNS}
    return pd.DataFrame([defaults | r for r in rows], columns=TEAM_COLUMNS)


PROVINCE = {
    "code": "27",
    "name": "Tỉnh Bắc Ninh",
    "unit_type": "tinh",
    "level": 1,
    "geometry": box(105.9, 20.9, 106.3, 21.3),
    "valid_to": date(2025, 7, 1),
}
COMMUNE_OLD = {
    "code": "09496",
    "name": "Thị trấn Thứa",
    "unit_type": "thi_tran",
    "parent_code": "27",
    "geometry": box(106.2, 21.0, 106.25, 21.05),
    "valid_to": date(2025, 7, 1),
    "population": 10795,
}
COMMUNE_NEW = {
    "code": "09496",
    "name": "Xã Lương Tài",
    "parent_code": "24",
    "geometry": box(106.15, 20.95, 106.3, 21.1),
    "valid_from": date(2025, 7, 1),
}
VILLAGE = {
    "code": "09496-001",
    "name": "Khu phố 1",
    "unit_type": "khu_pho",
    "level": 4,
    "parent_code": "09496",
    "geometry": None,
    "geometry_quality": "none",
}
PATROL_TYPE = {
    "code": "patrol_team",
    "name_vi": "Tổ tuần tra nhân dân",
    "name_en": "Patrol",
    "counts_as_model": True,
    "member_unit": "person",
    "description": "",
}
LINK = {"old_code": "07057", "new_code": "07054", "kind": "full", "effective": "2025-07-01"}
