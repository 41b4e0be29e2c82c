"""Map layers: the folium GeoJSON layers that draw the units in scope, and their styles.

Features are built as plain GeoJSON dicts with only the properties the page needs (code,
status, popup and tooltip HTML), so the embedded JSON stays small and no raw data field
reaches the browser unescaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from folium.map import CustomPane
from folium.utilities import JsCode

from geo_service.domain import GEOMETRY_APPROXIMATE, Level
from geo_service.output.geometry import display_geometries, geojson_texts
from geo_service.web.panels import (
    COMMUNE_LINE,
    COVERED_FILL,
    COVERED_LINE,
    NO_DATA_FILL,
    NO_DATA_LINE,
    UNCOVERED_FILL,
    UNCOVERED_LINE,
)
from geo_service.web.popups import (
    esc,
    no_data_tooltip,
    template_safe,
    unit_popup,
    unit_tooltip,
    village_popup,
    village_tooltip,
)
from geo_service.web.scope import Scope, has_geometry

AREA_PANE = "unit-areas"  # below the villages, still clickable where no village is drawn
# No reds or greens: those mean uncovered/covered on this map.
TYPE_COLOURS = (
    "#1f78b4",
    "#ff7f00",
    "#6a3d9a",
    "#b15928",
    "#e7298a",
    "#17becf",
    "#a6761d",
    "#7570b3",
    "#d95f02",
    "#8c564b",
    "#bcbd22",
    "#393b79",
)
_BIND_POPUPS = JsCode(
    """function (feature, layer) {
        var p = feature.properties;
        if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 420}); }
        if (p.tooltip) { layer.bindTooltip(p.tooltip, {sticky: true}); }
        // A sticky tooltip would sit over the open popup; hide it until the popup closes.
        layer.on("popupopen", function () {
            var tip = layer.getTooltip(); if (tip) { tip.setOpacity(0); }
        });
        layer.on("popupclose", function () {
            var tip = layer.getTooltip(); if (tip) { tip.setOpacity(0.9); }
        });
        layer.on("add", function () {
            var el = layer.getElement ? layer.getElement() : null;
            if (el) { el.setAttribute("data-code", p.code); }
        });
    }"""
)


def village_features(
    villages: gpd.GeoDataFrame,
    scope: Scope,
    sites: pd.DataFrame,
    type_names: dict[str, str],
    *,
    tolerance: float,
) -> list[dict[str, Any]]:
    """GeoJSON features of drawable villages with their popup and tooltip HTML, drawn
    simplified by ``tolerance`` degrees (``output_geometry.display_tolerance``)."""
    parents = scope.rollup_names()
    sites_of = _sites_by_unit(sites)

    def properties(row: dict[str, Any]) -> dict[str, Any]:
        code = str(row["code"])
        parent = parents.get(str(row["parent_code"]), "")
        return {
            "code": code,
            "status": str(row["status"]),
            "quality": str(row.get("geometry_quality") or ""),
            "popup": village_popup(row, parent, sites_of(code), type_names),
            "tooltip": village_tooltip(row),
        }

    return _features(villages, tolerance, properties)


def add_village_layer(fmap: folium.Map, features: list[dict[str, Any]]) -> None:
    """The base coverage layer: every drawable village, coloured covered/uncovered."""
    folium.GeoJson(
        _collection(features),
        name="Độ phủ theo thôn / village coverage",
        style_function=_village_style,
        highlight_function=lambda _feature: {"weight": 4, "fillOpacity": 0.8},
        on_each_feature=_BIND_POPUPS,
    ).add_to(fmap)


def add_type_layers(
    fmap: folium.Map,
    features: list[dict[str, Any]],
    villages: gpd.GeoDataFrame,
    model_types: pd.DataFrame,
) -> None:
    """One hidden overlay per model type present: the villages that have that type.

    The overlays are not interactive (clicks reach the coverage layer's popup below) and
    carry no popup HTML of their own, so a village's popup is embedded once.
    """
    names = dict(zip(model_types["code"], model_types["name_vi"], strict=True))
    types_of = {
        template_safe(code): set(types) if isinstance(types, list) else set()
        for code, types in zip(villages["code"], villages["model_types"], strict=True)
    }
    present = sorted(set().union(*types_of.values())) if types_of else []
    for index, type_code in enumerate(present):
        having = [
            {**f, "properties": {"code": f["properties"]["code"]}}
            for f in features
            if type_code in types_of.get(f["properties"]["code"], set())
        ]
        colour = TYPE_COLOURS[index % len(TYPE_COLOURS)]
        label = esc(names.get(type_code, type_code))
        folium.GeoJson(
            _collection(having),
            name=f'{label} <small class="en">({len(having)} thôn)</small>',
            show=False,
            style_function=_type_style(type_code, colour),
            interactive=False,
        ).add_to(fmap)


def add_unit_areas(
    fmap: folium.Map,
    rollups: gpd.GeoDataFrame,
    sites: pd.DataFrame,
    *,
    choropleth: bool,
    tolerance: float,
) -> None:
    """Commune areas under the villages: hover/click shows the commune's roll-up.

    With ``choropleth`` (villages too many to draw) the areas are coloured by coverage.
    """
    CustomPane(AREA_PANE, z_index=390, pointer_events=True).add_to(fmap)
    communes = rollups[(rollups["level"] == int(Level.COMMUNE)) & has_geometry(rollups)]
    sites_of = _sites_by_unit(sites)

    def properties(row: dict[str, Any]) -> dict[str, Any]:
        code = str(row["code"])
        return {
            "code": code,
            "pct": None if pd.isna(row["coverage_pct"]) else float(row["coverage_pct"]),
            "choropleth": choropleth,
            "popup": unit_popup(row, sites_of(code)),
            "tooltip": unit_tooltip(row),
        }

    features = _features(communes, tolerance, properties)
    if features:
        _add_area_layer(fmap, features, "Xã, phường / communes", _area_style)


def add_no_data_areas(fmap: folium.Map, areas: gpd.GeoDataFrame, *, tolerance: float) -> None:
    """Grey the areas whose villages are not known (``village_lists.areas_without_villages``):
    neither covered nor uncovered. Above the commune areas, below the villages."""
    if areas.empty:
        return

    def properties(row: dict[str, Any]) -> dict[str, Any]:
        # One commune may lack the lists of several sources, and a split source may feed
        # several communes: the pair names the area.
        code = f"{row['commune_code']}/{row['source_code']}"
        tooltip = no_data_tooltip(row)
        return {"code": code, "tooltip": tooltip, "popup": tooltip}

    features = _features(areas, tolerance, properties)
    _add_area_layer(fmap, features, "Chưa có danh sách thôn / no village list", _no_data_style)


def _add_area_layer(
    fmap: folium.Map, features: list[dict[str, Any]], name: str, style: Callable[..., Any]
) -> None:
    """Areas drawn below the villages, with their popups bound."""
    folium.GeoJson(
        _collection(features),
        name=name,
        style_function=style,
        on_each_feature=_BIND_POPUPS,
        pane=AREA_PANE,
    ).add_to(fmap)


def add_unit_outlines(
    fmap: folium.Map, rollups: gpd.GeoDataFrame, pane: str, *, tolerance: float
) -> None:
    """Outlines of communes, districts and provinces, drawn above the village fills."""
    drawn = rollups[has_geometry(rollups)]
    if drawn.empty:
        return
    features = _features(
        drawn, tolerance, lambda row: {"code": str(row["code"]), "level": int(row["level"])}
    )
    folium.GeoJson(
        _collection(features),
        name="Ranh giới hành chính / boundaries",
        style_function=_outline_style,
        pane=pane,
        interactive=False,
    ).add_to(fmap)


def coverage_colour(pct: float | None) -> str:
    if pct is None:
        return "#999999"
    if pct >= 100:
        return COVERED_FILL
    if pct >= 50:
        return "#a6d96a"
    if pct > 0:
        return "#fdae61"
    return UNCOVERED_FILL


def _village_style(feature: dict[str, Any]) -> dict[str, Any]:
    properties = feature["properties"]
    covered = properties["status"] == "covered"
    classes = f"village village-{properties['status']}"
    style: dict[str, Any] = {
        "fillColor": COVERED_FILL if covered else UNCOVERED_FILL,
        "color": COVERED_LINE if covered else UNCOVERED_LINE,
        "weight": 1.5 if covered else 3,
        "opacity": 1,
        "fillOpacity": 0.45 if covered else 0.65,
    }
    if properties["quality"] == GEOMETRY_APPROXIMATE:
        classes += " village-approximate"
        style["dashArray"] = "6 4"
    style["className"] = classes
    return style


def _no_data_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "className": "no-data-area",
        "color": NO_DATA_LINE,
        "weight": 1,
        "dashArray": "2 4",
        "fillColor": NO_DATA_FILL,
        "fillOpacity": 0.55,
    }


def _type_style(type_code: str, colour: str) -> Any:
    css_code = re.sub(r"[^\w-]", "_", type_code)

    def style(_feature: dict[str, Any]) -> dict[str, Any]:
        return {
            "className": f"village-type type-{css_code}",
            "fillColor": colour,
            "color": colour,
            "weight": 3,
            "fillOpacity": 0.4,
        }

    return style


def _area_style(feature: dict[str, Any]) -> dict[str, Any]:
    properties = feature["properties"]
    style: dict[str, Any] = {
        "className": "commune-area",
        "color": COMMUNE_LINE,
        "weight": 0.5,
        "fillColor": COMMUNE_LINE,
        "fillOpacity": 0.04,
    }
    if properties["choropleth"]:
        style.update(fillColor=coverage_colour(properties["pct"]), fillOpacity=0.6)
    return style


def _outline_style(feature: dict[str, Any]) -> dict[str, Any]:
    level = feature["properties"]["level"]
    if level == int(Level.COMMUNE):
        return {
            "className": "commune-outline",
            "color": COMMUNE_LINE,
            "weight": 2.5,
            "fill": False,
            "opacity": 0.9,
        }
    weight = 2.5 if level == int(Level.DISTRICT) else 3.5
    return {
        "className": "admin-outline",
        "color": "#555555",
        "weight": weight,
        "dashArray": "10 6",
        "fill": False,
        "opacity": 0.6,
    }


def _geojson_strings(frame: gpd.GeoDataFrame, tolerance: float) -> list[str]:
    """Each geometry simplified for the view, then written as every GeoJSON the service
    writes is (``output_geometry``: RFC 7946 winding, 7 decimals)."""
    texts = geojson_texts(display_geometries(frame.geometry.values, tolerance))
    return [text or "null" for text in texts]


def _features(
    frame: gpd.GeoDataFrame,
    tolerance: float,
    properties: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[dict[str, Any]]:
    """A GeoJSON feature per row: its geometry drawn for the view, ``properties(row)`` (a
    ``code`` among them, which also becomes the feature's id)."""
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    rows: list[dict[str, Any]] = table.to_dict("records")  # type: ignore[assignment]
    geometries = _geojson_strings(frame, tolerance)
    return [
        _feature(geometry, properties(row)) for row, geometry in zip(rows, geometries, strict=True)
    ]


def _feature(geometry: str, properties: dict[str, Any]) -> dict[str, Any]:
    safe_code = template_safe(properties["code"])
    return {
        "type": "Feature",
        "id": safe_code,
        "geometry": json.loads(geometry),
        "properties": {**properties, "code": safe_code},
    }


def _sites_by_unit(sites: pd.DataFrame) -> Callable[[str], pd.DataFrame]:
    """The sites of a unit code (none: an empty frame), grouped once."""
    by_unit = {str(code): rows for code, rows in sites.groupby("unit_code")}
    empty = sites.iloc[0:0]
    return lambda code: by_unit.get(code, empty)


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}
