"""Whole-table reads of the GeoPackage store through GDAL's Arrow stream (pyogrio).

Coverage of the country reads every unit (without geometry), every model and every team.
Through ``sqlite3`` each of their million values becomes a Python object in a row tuple,
then a pandas column; GDAL hands a table over column by column in Arrow's layout instead,
with text, numbers and dates already typed, at a fraction of the cost. Only such bulk
reads go this way: a filtered read (a subtree, a page, a bbox) uses SQLite's indexes and
stays with ``sqlite3``, and so does every read GDAL cannot do (a store not yet created, a
store busy with an import, which ``sqlite3`` waits for): ``None`` then says "read it the
other way". The frames carry the values the ``sqlite3`` reads give (``gpkg_read``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FieldError

from geo_service.store.base import UnitQuery


def whole_layer(path: Path, layer: str) -> pa.Table | None:
    """Every row of ``layer`` (all its columns, no geometry), or None when GDAL cannot read
    it (not a GeoPackage, a store held by an import past GDAL's wait): ``sqlite3`` then
    reads it, waits as long as the store does, and says what is wrong."""
    try:
        _, table = pyogrio.read_arrow(str(path), layer=layer, read_geometry=False)
    except (DataSourceError, DataLayerError, FieldError, OSError, pa.ArrowException):
        return None
    return table


def is_bulk(query: UnitQuery) -> bool:
    """Whether ``query`` reads (nearly) the whole units table without geometry: no filter
    but the day, no page."""
    return (
        not query.with_geometry
        and query.level is None
        and query.parent_code is None
        and query.codes is None
        and query.parent_codes is None
        and query.bbox is None
        and not query.ended
        and query.limit is None
        and not query.offset
    )


def units_rows(table: pa.Table, query: UnitQuery) -> pd.DataFrame:
    """The rows and columns of ``table`` (the units layer) that a bulk ``query`` selects,
    in its order (missing values first when ascending and last when descending, text by
    code point, as SQLite sorts them)."""
    if query.as_of is not None:
        day = pa.scalar(query.as_of, pa.date32())
        starts, ends = table["valid_from"], table["valid_to"]
        valid = pc.and_(
            pc.or_kleene(pc.is_null(starts), pc.less_equal(starts, day)),
            pc.or_kleene(pc.is_null(ends), pc.greater(ends, day)),
        )
        table = table.filter(valid)
    keys = [
        (column, "descending", "at_end") if descending else (column, "ascending", "at_start")
        for column, descending in query.sort_keys()
    ]
    table = table.sort_by(keys)
    return as_records_frame(table.select(query.selected_columns()))


def ordered_rows(table: pa.Table, key: str) -> pd.DataFrame:
    """``table`` ordered by ``key`` (a unique, never missing column)."""
    return as_records_frame(table.sort_by(key))


def as_records_frame(table: pa.Table) -> pd.DataFrame:
    """``table`` as ``pd.DataFrame.from_records`` makes rows of ``sqlite3``: a column
    without any value holds None (object), other text is pandas text, numbers with a
    missing value are floats, dates are ``datetime.date``."""
    frame = table.to_pandas(date_as_object=True)
    for name in table.column_names:
        if table[name].null_count == len(table) and len(table):
            frame[name] = np.full(len(table), None, dtype=object)
    return frame
