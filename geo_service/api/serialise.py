"""Bytes for responses: RFC 7946 GeoJSON, CSV for Excel, and download headers.

GeoJSON is assembled from per-feature strings (``output_geometry.geojson_texts``, or the
texts kept per store generation by ``api.geometry_texts``, + orjson) rather than nested
Python objects, so large collections stay cheap. Geometry is
written whole (rounded to 7 decimals, wound as RFC 7946 asks); only the map simplifies.
CSV text cells are made inert (``spreadsheet_cells``), so no cell runs as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
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
# Pieces of a streamed download: large enough that per-piece overheads vanish, small
# enough that one piece of the largest villages stays a few megabytes.
FEATURES_PER_CHUNK = 2000
CSV_ROWS_PER_CHUNK = 10_000
# The GeoJSON geometry text of each row of a piece of a collection (None: no geometry).
GeometryTextsOf = Callable[[pd.DataFrame], Sequence[str | None]]
# Dates go to ``plain`` (a datetime at midnight is written as a day); dict keys as text.
_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


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
    geometry_texts: GeometryTextsOf | None = None,
) -> bytes:
    """An RFC 7946 FeatureCollection (EPSG:4326, lon/lat; no "crs" member), whole."""
    pieces = feature_collection_chunks(
        frame, columns, id_column=id_column, extra=extra, geometry_texts=geometry_texts
    )
    return b"".join(pieces)


def feature_collection_chunks(
    frame: gpd.GeoDataFrame,
    columns: Sequence[str],
    *,
    id_column: str = "code",
    extra: dict[str, Any] | None = None,
    geometry_texts: GeometryTextsOf | None = None,
) -> Iterator[bytes]:
    """``feature_collection``'s bytes in pieces of ``FEATURES_PER_CHUNK`` features, so a
    download of the whole country is written without ever holding its body.

    The geometry is ``frame``'s own, encoded here, unless ``geometry_texts`` gives each
    piece's geometry as GeoJSON text already written (``api.geometry_texts``: units'
    geometry kept encoded per store generation)."""
    if geometry_texts is None:
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        geometry_texts = _encoded_geometry
    head = {"type": "FeatureCollection", **(extra or {})}
    yield orjson.dumps(head)[:-1] + b',"features":['
    for start in range(0, len(frame), FEATURES_PER_CHUNK):
        part = frame.iloc[start : start + FEATURES_PER_CHUNK]
        features = [
            {
                "type": "Feature",
                "id": props.get(id_column),
                "geometry": None if geometry is None else orjson.Fragment(geometry),
                "properties": props,
            }
            for geometry, props in zip(
                geometry_texts(part), property_rows(part, columns), strict=True
            )
        ]
        # The list's brackets go: the features of every piece make one array.
        listed = orjson.dumps(features, default=plain, option=_JSON_OPTIONS)[1:-1]
        yield (b"," if start else b"") + listed
    yield b"]}"


def _encoded_geometry(part: pd.DataFrame) -> list[str | None]:
    return geojson_texts(part.geometry.to_numpy())


def property_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of ``columns`` as dicts that orjson writes as ``records`` would have them
    (``dumps(..., default=plain, option=_JSON_OPTIONS)``), made a column at a time:
    missing values become None and numpy scalars Python ones by pandas, and what orjson
    does not write itself (dates, numpy arrays, pandas' NA) goes to ``plain`` as it is met.
    """
    # Columns are taken one by one from a plain frame: selecting them as a (Geo)DataFrame
    # first costs a page of a few rows more than writing it.
    table = pd.DataFrame(frame, copy=False)
    values = [json_ready(_rounded(table[column])) for column in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def json_ready(column: pd.Series) -> list[Any]:
    """``column``'s values as Python objects, None where missing (NaN, NA, NaT)."""
    values = column.to_numpy(dtype=object, copy=True)  # pandas may share a read-only one
    values[pd.isna(values)] = None
    listed: list[Any] = values.tolist()
    return listed


def rounded_coordinates(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its label point coordinates rounded to ``COORDINATE_DECIMALS``."""
    present = [column for column in COORDINATE_COLUMNS if column in frame.columns]
    if not present:
        return frame
    out = frame.copy()
    for column in present:
        out[column] = _rounded(out[column])
    return out


def _rounded(column: pd.Series) -> pd.Series:
    """A label point coordinate column rounded to ``COORDINATE_DECIMALS``; any other as
    it is."""
    if column.name not in COORDINATE_COLUMNS:
        return column
    return pd.to_numeric(column, errors="coerce").round(COORDINATE_DECIMALS)


def csv_for_excel(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel shows Vietnamese correctly. Text cells are inert (a text
    beginning ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading quote); numbers stay
    numbers."""
    return b"".join(csv_chunks(frame))


def csv_chunks(frame: pd.DataFrame) -> Iterator[bytes]:
    """``csv_for_excel``'s bytes in pieces of ``CSV_ROWS_PER_CHUNK`` rows."""
    yield "\ufeff".encode()
    for start in range(0, max(len(frame), 1), CSV_ROWS_PER_CHUNK):
        part = frame.iloc[start : start + CSV_ROWS_PER_CHUNK]
        buffer = io.StringIO()
        inert_frame(rounded_coordinates(part)).to_csv(buffer, index=False, header=start == 0)
        yield buffer.getvalue().encode("utf-8")


def download(content: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    headers = {"Content-Disposition": disposition(filename, inline=inline)}
    return Response(content, media_type=media_type, headers=headers)


def disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition naming ``filename`` (as ASCII, and in full as UTF-8)."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def geojson_response(content: bytes, filename: str, *, attachment: bool = False) -> Response:
    """Shown inline by a browser (an API reply), or, with ``attachment``, saved by it as
    ``filename`` (the map's download links); the name is offered either way."""
    return download(content, GEOJSON_MEDIA_TYPE, filename, inline=not attachment)
