"""Bytes for responses: RFC 7946 GeoJSON, CSV for Excel, and download headers.

GeoJSON is assembled from per-feature strings (``output_geometry.geojson_texts`` +
orjson) rather than nested Python objects, so large collections stay cheap. Geometry is
written whole (rounded to 7 decimals, wound as RFC 7946 asks); only the map simplifies.
CSV text cells are made inert (``spreadsheet_cells``), so no cell runs as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import orjson
import pandas as pd
from fastapi import Response

from geo_service.output.geometry import COORDINATE_DECIMALS, geojson_texts
from geo_service.output.spreadsheet_cells import inert_frame
from geo_service.values import plain

GEOJSON_MEDIA_TYPE = "application/geo+json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# Point coordinates carried as properties are rounded as the geometry is.
COORDINATE_COLUMNS = ("label_lon", "label_lat")


def records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of ``columns`` as JSON-ready dicts (label coordinates rounded as geometry is)."""
    table = rounded_coordinates(frame[list(columns)])
    return [
        {column: plain(value) for column, value in zip(columns, row, strict=True)}
        for row in table.itertuples(index=False, name=None)
    ]


def feature_collection(
    frame: gpd.GeoDataFrame,
    columns: Sequence[str],
    *,
    id_column: str = "code",
    extra: dict[str, Any] | None = None,
) -> bytes:
    """An RFC 7946 FeatureCollection (EPSG:4326, lon/lat; no "crs" member)."""
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geometries = geojson_texts(frame.geometry.values)
    parts = []
    for geometry, props in zip(geometries, records(frame, columns), strict=True):
        parts.append(
            b'{"type":"Feature","id":'
            + orjson.dumps(props.get(id_column))
            + b',"geometry":'
            + (geometry.encode() if geometry is not None else b"null")
            + b',"properties":'
            + orjson.dumps(props)
            + b"}"
        )
    head = {"type": "FeatureCollection", **(extra or {})}
    opening = orjson.dumps(head)[:-1] + b',"features":['
    return opening + b",".join(parts) + b"]}"


def rounded_coordinates(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its label point coordinates rounded to ``COORDINATE_DECIMALS``."""
    present = [column for column in COORDINATE_COLUMNS if column in frame.columns]
    if not present:
        return frame
    out = frame.copy()
    for column in present:
        out[column] = pd.to_numeric(out[column], errors="coerce").round(COORDINATE_DECIMALS)
    return out


def csv_for_excel(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel shows Vietnamese correctly. Text cells are inert (a text
    beginning ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading quote); numbers stay
    numbers."""
    buffer = io.StringIO()
    inert_frame(rounded_coordinates(frame)).to_csv(buffer, index=False)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def download(content: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    kind = "inline" if inline else "attachment"
    disposition = f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def geojson_response(content: bytes, filename: str, *, attachment: bool = False) -> Response:
    """Shown inline by a browser (an API reply), or, with ``attachment``, saved by it as
    ``filename`` (the map's download links); the name is offered either way."""
    return download(content, GEOJSON_MEDIA_TYPE, filename, inline=not attachment)
