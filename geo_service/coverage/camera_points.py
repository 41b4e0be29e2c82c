"""Camera points as a layer: the sites of camera models that have a point (issue 13, item 6).

Camera locations are public-safety sensitive (shared/DOMAIN.md §7). This module only reads
them; whether anyone may see them is decided where they are served (``/api/cameras`` and
the map, behind ``Settings.camera_points_public``, off by default).
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.coverage.subtree import read_register
from geo_service.domain import CAMERA_MODEL_TYPE, WGS84
from geo_service.store import Store
from geo_service.values import member_of

# The properties of a camera point: which model and site it is, and where it was placed.
CAMERA_COLUMNS = [
    "team_id",
    "model_id",
    "model_name",
    "status",
    "name",
    "cameras",
    "unit_code",
    "unit_name",
]
Bounds = tuple[float, float, float, float]


def camera_points(
    store: Store, as_of: date, root: str | None = None, bbox: Bounds | None = None
) -> gpd.GeoDataFrame:
    """Camera sites with a point (``CAMERA_COLUMNS``, Point geometry in EPSG:4326) of the
    tree of ``as_of``, or of ``root``'s subtree; only those inside ``bbox`` (west, south,
    east, north) when given. Models of every status are listed, with their status."""
    register = read_register(store, as_of, root, with_geometry=False)
    models = register.models[register.models["type_code"] == CAMERA_MODEL_TYPE]
    teams = register.teams
    keep = member_of(teams["model_id"], models["model_id"]) & teams["lon"].notna()
    if root is not None:
        keep &= member_of(teams["unit_code"], register.units["code"])
    sites = teams[keep]
    if bbox is not None:
        west, south, east, north = bbox
        lon, lat = sites["lon"], sites["lat"]
        sites = sites[(lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)]
    named = models.set_index("model_id")
    unit_names = register.units.drop_duplicates("code").set_index("code")["name"]
    frame = pd.DataFrame(
        {
            "team_id": sites["team_id"].to_numpy(dtype=object),
            "model_id": sites["model_id"].to_numpy(dtype=object),
            "model_name": named["name"].reindex(sites["model_id"]).to_numpy(dtype=object),
            "status": named["status"].reindex(sites["model_id"]).to_numpy(dtype=object),
            "name": sites["name"].to_numpy(dtype=object),
            "cameras": sites["cameras"].to_numpy(),
            "unit_code": sites["unit_code"].to_numpy(dtype=object),
            "unit_name": unit_names.reindex(sites["unit_code"]).to_numpy(dtype=object),
        }
    )
    points = shapely.points(sites["lon"].to_numpy(dtype=float), sites["lat"].to_numpy(dtype=float))
    return gpd.GeoDataFrame(frame, geometry=np.asarray(points, dtype=object), crs=WGS84)
