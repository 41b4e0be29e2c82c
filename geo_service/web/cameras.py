"""The map's camera markers: clustered points (vendored Leaflet.markercluster).

Drawn only when the caller passes camera points, which it does only when
``Settings.camera_points_public`` is on: camera locations are public-safety sensitive.
Each marker is a circle (no marker images, so a map opened from disk needs nothing more)
with the CSS class ``camera-point``, for tests and styling.
"""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd
from folium.plugins import MarkerCluster

from geo_service.web.assets import AssetMode, use_local_cluster_assets
from geo_service.web.popups import as_number

CAMERA_LAYER_NAME = "Camera an ninh (security cameras)"
CAMERA_COLOUR = "#1f4e9c"


def add_camera_layer(fmap: folium.Map, points: gpd.GeoDataFrame, assets: AssetMode) -> None:
    """One overlay of ``points`` (``coverage.camera_points`` columns), clustered."""
    cluster = MarkerCluster(name=CAMERA_LAYER_NAME, show=True)
    use_local_cluster_assets(cluster, fmap, assets)
    xy = points.geometry.get_coordinates()
    for (lon, lat), row in zip(
        xy.itertuples(index=False, name=None),
        points.itertuples(index=False),
        strict=True,
    ):
        folium.CircleMarker(
            location=[lat, lon],
            radius=6,
            color=CAMERA_COLOUR,
            fill=True,
            fill_opacity=0.8,
            weight=1,
            class_name="camera-point",
            tooltip=_label(row),
        ).add_to(cluster)
    cluster.add_to(fmap)


def _label(row: object) -> str:
    """Model, site and village of a camera point, as escaped HTML."""
    parts = [getattr(row, "model_name", None), getattr(row, "name", None)]
    text = " — ".join(escape(str(part)) for part in parts if isinstance(part, str) and part)
    village = getattr(row, "unit_name", None)
    if isinstance(village, str):
        text += f"<br>{escape(village)}"
    cameras = as_number(getattr(row, "cameras", None))
    if cameras is not None:
        text += f"<br>{cameras:g} camera"
    return text
