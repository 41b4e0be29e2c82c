"""Reads of the GeoPackage store: unit queries as SQL, and rows back into contract values.

SQLite holds dates and times as ISO text, a model's ``extra`` and an import's ``counts``
as JSON text, booleans as 0/1 and geometry as GeoPackage blobs; here they become what
``store.base`` promises (``datetime.date``, dicts, bools, shapely geometry).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.domain import WGS84, with_count_dtypes
from geo_service.store import gpkg_geometry
from geo_service.store.base import DATE_COLUMNS, UnitQuery, with_dates
from geo_service.store.sqlite_bulk import in_list

IMPORT_LOG_COLUMNS = ["id", "at", "kind", "file_name", "sha256", "counts", "undone_at", "notes"]


def unit_filters(query: UnitQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query``'s filters, and its parameters."""
    where, params = ["1 = 1"], []  # type: list[str], list[Any]
    if query.as_of is not None:
        day = query.as_of.isoformat()
        where.append(
            "(valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to > ?)"
        )
        params += [day, day]
    if query.level is not None:
        where.append("level = ?")
        params.append(int(query.level))
    if query.ended:
        where.append("valid_to IS NOT NULL")
    if query.parent_code is not None:
        where.append("parent_code = ?")
        params.append(query.parent_code)
    for column, values in (("code", query.codes), ("parent_code", query.parent_codes)):
        if values is not None:
            clause, listed = in_list(column, values)
            where.append(clause)
            params += listed
    if query.bbox is not None:
        minx, miny, maxx, maxy = query.bbox
        where.append(
            "fid IN (SELECT id FROM rtree_units_geom "
            "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)"
        )
        params += [maxx, minx, maxy, miny]
    return " AND ".join(where), params


def unit_select(query: UnitQuery) -> tuple[str, list[Any]]:
    """SELECT of ``query``: its projection, filters, order and page."""
    where, params = unit_filters(query)
    geometry = "geom" if query.with_geometry else "NULL AS geom"
    # SQLite sorts NULL first ascending and last descending, as the contract asks; text
    # is compared with the BINARY collation, which orders UTF-8 by code point.
    order = ", ".join(
        f"{column} DESC NULLS LAST" if descending else f"{column} ASC NULLS FIRST"
        for column, descending in query.sort_keys()
    )
    sql = (
        f"SELECT {geometry}, {', '.join(query.selected_columns())} FROM units "
        f"WHERE {where} ORDER BY {order}"
    )
    if query.limit is not None or query.offset:
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if query.limit is None else query.limit, query.offset]
    return sql, params


def unit_frame(names: list[str], rows: list[tuple[Any, ...]], query: UnitQuery) -> gpd.GeoDataFrame:
    """Rows of ``unit_select(query)`` as a GeoDataFrame in contract values."""
    frame = pd.DataFrame.from_records(rows, columns=names)
    if frame.empty:
        frame = pd.DataFrame(columns=["geom", *query.selected_columns()])
    blobs = frame.pop("geom")
    geometry = gpkg_geometry.decode(list(blobs)) if query.with_geometry else None
    return units_in_contract_values(frame, geometry)


def units_in_contract_values(frame: pd.DataFrame, geometry: Any = None) -> gpd.GeoDataFrame:
    """Unit attributes as read (dates as text or dates) in contract values, with
    ``geometry`` (none given: every unit without)."""
    if geometry is None:
        geometry = np.full(len(frame), None, dtype=object)
    if "level" in frame:
        frame["level"] = frame["level"].astype(int)
    frame = with_count_dtypes(with_dates(frame, DATE_COLUMNS["units"]))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)


def table_frame(
    names: list[str], rows: list[tuple[Any, ...]], columns: Sequence[str]
) -> pd.DataFrame:
    """Rows of an attribute table as a DataFrame of ``columns`` in contract values."""
    frame = pd.DataFrame.from_records(rows, columns=names)
    if frame.empty:
        frame = pd.DataFrame(columns=list(columns))
    return in_contract_values(frame, columns)


def in_contract_values(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """An attribute table as read (dates as text or dates, JSON as text, booleans as 0/1)
    as a DataFrame of ``columns`` in contract values."""
    # reindex: a file made before a column was added reads it as missing.
    frame = frame.reindex(columns=list(columns))
    frame = with_dates(frame, [c for dated in DATE_COLUMNS.values() for c in dated])
    if "extra" in frame:
        frame["extra"] = _decoded(frame["extra"])
    if "counts_as_model" in frame:
        frame["counts_as_model"] = frame["counts_as_model"].astype(bool)
    return with_count_dtypes(frame)


def site_points_frame(teams: pd.DataFrame) -> pd.DataFrame:
    """Sites with their ``lon``/``lat`` as float64, NaN where a site has no point."""
    for column in ("lon", "lat"):
        teams[column] = pd.to_numeric(teams[column], errors="coerce").astype("float64")
    return teams


def import_log_frame(names: list[str], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The ``imports`` table as ``Store.imports`` returns it."""
    frame = table_frame(names, rows, IMPORT_LOG_COLUMNS)
    frame["counts"] = _decoded(frame["counts"])
    frame["notes"] = [json.loads(text) if isinstance(text, str) else [] for text in frame["notes"]]
    for column in ("at", "undone_at"):
        frame[column] = pd.Series(
            [None if pd.isna(text) else datetime.fromisoformat(text) for text in frame[column]],
            index=frame.index,
            dtype=object,
        )
    return frame


def _decoded(texts: pd.Series) -> pd.Series:
    """JSON text → dicts; an empty or missing text is an empty dict."""
    return pd.Series(
        [json.loads(text) if isinstance(text, str) and text else {} for text in texts],
        index=texts.index,
        dtype=object,
    )
