"""Bytes for responses: RFC 7946 GeoJSON, CSV for Excel, and download headers.

GeoJSON is assembled from per-feature strings (shapely.to_geojson + orjson) rather than
nested Python objects, so large collections stay cheap.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from fastapi import Response

from geo_service.values import plain as scalar

GEOJSON_MEDIA_TYPE = "application/geo+json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def plain(value: Any) -> Any:
    """A JSON-ready value: scalars as in ``values.plain``, containers element by element."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return scalar(value)


def records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {column: plain(value) for column, value in zip(columns, row, strict=True)}
        for row in frame[list(columns)].itertuples(index=False, name=None)
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
    geometries = shapely.to_geojson(np.asarray(frame.geometry.values, dtype=object))
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


def csv_for_excel(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel shows Vietnamese correctly."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def download(content: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    kind = "inline" if inline else "attachment"
    disposition = f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def geojson_response(content: bytes, filename: str) -> Response:
    """Shown inline by a browser; saved under ``filename``."""
    return download(content, GEOJSON_MEDIA_TYPE, filename, inline=True)
