"""What an import would change, so that importing the same file twice changes nothing.

Pure functions over frames: rows are compared by natural key after putting values in one
canonical form (missing → None, dates → ISO text, whole floats → int, geometry → the
MultiPolygon a store holds, as shapely's WKB: how a backend encodes it plays no part).
Whole columns are canonicalised at once (``canonical_column``), and geometry columns are
compared by GEOS without encoding them (``same_geometries``), so comparing a national
import costs a few array operations per column, not a Python call per value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from geopandas.array import GeometryDtype
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo_service.domain import as_multipolygons
from geo_service.keys import combined_keys
from geo_service.values import iso_column, plain


@dataclass(frozen=True)
class TableChanges:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.new or self.updated or self.removed)


def canonical(value: Any) -> Any:
    """Comparable form: geometry as MultiPolygon WKB, whole floats as int, dicts as JSON."""
    if isinstance(value, BaseGeometry):
        return shapely.to_wkb(as_multipolygons([value])[0], byte_order=1)
    if isinstance(value, dict):
        return json.dumps({k: canonical(v) for k, v in value.items()}, sort_keys=True)
    value = plain(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canonical_column(values: pd.Series) -> NDArray[np.object_]:
    """``canonical`` of every value of a column, vectorised for the common column kinds."""
    if isinstance(values.dtype, GeometryDtype):
        geometry = as_multipolygons(values.to_numpy())
        return _to_wkb(geometry)
    if pd.api.types.is_bool_dtype(values.dtype) and not values.hasnans:
        return values.to_numpy(dtype=object)
    if pd.api.types.is_integer_dtype(values.dtype):  # exact, also beyond 2**53
        integers = values.to_numpy(dtype=object)
        integers[pd.isna(integers)] = None
        return integers
    if pd.api.types.is_float_dtype(values.dtype):
        return _canonical_numbers(values.to_numpy(dtype=float, na_value=np.nan))
    if isinstance(values.dtype, pd.StringDtype):  # text by construction: no checks needed
        text: NDArray[np.object_] = values.array.to_numpy(dtype=object, na_value=None)
        return text
    array = values.to_numpy(dtype=object)
    missing = pd.isna(array)
    kind = pd.api.types.infer_dtype(array[~missing], skipna=False)
    if kind in ("string", "empty"):
        array = array.copy()
        array[missing] = None
        return array
    if kind == "date":  # as the store returns validity dates
        return iso_column(array)
    return _canonical_each(array)


def _to_wkb(geometries: NDArray[np.object_]) -> NDArray[np.object_]:
    return np.asarray(shapely.to_wkb(geometries, byte_order=1), dtype=object)


def _canonical_numbers(numbers: NDArray[np.float64]) -> NDArray[np.object_]:
    out = np.full(len(numbers), None, dtype=object)
    present = ~np.isnan(numbers)
    whole = present & (np.abs(numbers) < 2**53)
    whole[whole] = numbers[whole] == np.floor(numbers[whole])
    out[whole] = numbers[whole].astype(np.int64)
    fractional = present & ~whole
    out[fractional] = numbers[fractional]
    return out


def _canonical_each(array: NDArray[np.object_]) -> NDArray[np.object_]:
    """One ``canonical`` call per distinct value (per value when values are unhashable)."""
    out = np.empty(len(array), dtype=object)
    try:
        lookup = {value: canonical(value) for value in pd.unique(array)}
    except TypeError:  # dicts, lists
        out[:] = [canonical(value) for value in array]
        return out
    out[:] = [lookup[value] for value in array]
    return out


def key_positions(frame: pd.DataFrame, key: Sequence[str]) -> dict[tuple[Any, ...], int]:
    """Canonical key -> position of the row in ``frame`` (the last one for repeated keys)."""
    keys = zip(*(canonical_column(frame[column]) for column in key), strict=True)
    return dict(zip(keys, range(len(frame)), strict=False))


def keyed_rows(
    frame: pd.DataFrame, key: Sequence[str], columns: Sequence[str]
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Canonical key -> canonical row; for small tables and tests (``compare`` is vectorised)."""
    canonical_columns = [canonical_column(frame[column]) for column in columns]
    rows = list(zip(*canonical_columns, strict=True)) if columns else [()] * len(frame)
    positions = key_positions(frame, key)
    return {k: rows[i] for k, i in positions.items()}


def rows_differ(
    before: pd.DataFrame, after: pd.DataFrame, columns: Sequence[str]
) -> NDArray[np.bool_]:
    """Row-wise: does ``after`` differ from ``before`` (aligned by position) in any column?"""
    differ = np.zeros(len(after), dtype=bool)
    for column in columns:
        if isinstance(after[column].dtype, GeometryDtype):
            differ |= ~same_geometries(before[column].to_numpy(), after[column].to_numpy())
            continue
        same = canonical_column(before[column]) == canonical_column(after[column])
        differ |= ~np.asarray(same, dtype=bool)
    return differ


def same_geometries(before: NDArray[np.object_], after: NDArray[np.object_]) -> NDArray[np.bool_]:
    """Row-wise: are the two geometries equal as ``canonical`` sees them (same type once
    Polygons are MultiPolygons, same coordinates in the same order)?

    GEOS compares the coordinates in place, so neither side is encoded to WKB; heights,
    which GEOS's exact equality leaves out, are compared as WKB where either side has them.
    """
    before, after = as_multipolygons(before), as_multipolygons(after)
    same = np.asarray(shapely.equals_exact(before, after, tolerance=0), dtype=bool)
    same |= shapely.is_missing(before) & shapely.is_missing(after)
    heights = shapely.has_z(before) | shapely.has_z(after)
    if heights.any():
        same[heights] = _to_wkb(before[heights]) == _to_wkb(after[heights])
    return same


def compare(
    existing: pd.DataFrame,
    incoming: pd.DataFrame,
    key: Sequence[str],
    columns: Sequence[str],
    *,
    replace_all: bool = False,
) -> TableChanges:
    """Changes ``incoming`` makes to ``existing``; with ``replace_all`` missing rows are removed.

    Rows are matched on ``key``; only the rows present on both sides are compared, column
    by column.
    """
    before_keys, after_keys = _joint_keys(existing, incoming, key)
    # As in key_positions, the last row of a repeated key is the one that counts.
    before_rows = np.flatnonzero(~pd.Series(before_keys).duplicated(keep="last").to_numpy())
    after_rows = np.flatnonzero(~pd.Series(after_keys).duplicated(keep="last").to_numpy())
    found = pd.Index(before_keys[before_rows]).get_indexer(pd.Index(after_keys[after_rows]))
    matched = found >= 0
    new = int((~matched).sum())
    updated = 0
    if matched.any():
        updated = int(
            rows_differ(
                existing.iloc[before_rows[found[matched]]].reset_index(drop=True),
                incoming.iloc[after_rows[matched]].reset_index(drop=True),
                columns,
            ).sum()
        )
    unchanged = len(after_rows) - new - updated
    removed = len(before_rows) - int(matched.sum()) if replace_all else 0
    return TableChanges(new, updated, unchanged, removed)


def _joint_keys(
    first: pd.DataFrame, second: pd.DataFrame, key: Sequence[str]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """One integer per row of each frame, equal exactly when the canonical keys are equal:
    each key column is factorised over both frames at once (missing values are a value of
    their own), so whole tables compare without a Python tuple per row."""
    codes = [
        pd.factorize(
            np.concatenate([canonical_column(first[column]), canonical_column(second[column])]),
            use_na_sentinel=False,
        )[0]
        for column in key
    ]
    combined, _ = combined_keys(codes)
    return combined[: len(first)], combined[len(first) :]
