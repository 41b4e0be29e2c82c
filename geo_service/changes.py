"""What an import would change, so that importing the same file twice changes nothing.

Pure functions over frames: rows are compared by natural key after putting values in one
canonical form (missing → None, dates → ISO text, whole floats → int, geometry → WKB).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo_service.store.gpkg_geometry import as_multipolygons
from geo_service.values import plain


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


def keyed_rows(
    frame: pd.DataFrame, key: Sequence[str], columns: Sequence[str]
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for record in frame[list(columns)].itertuples(index=False, name=None):
        values = tuple(canonical(v) for v in record)
        named = dict(zip(columns, values, strict=True))
        rows[tuple(named[k] for k in key)] = values
    return rows


def compare(
    existing: pd.DataFrame,
    incoming: pd.DataFrame,
    key: Sequence[str],
    columns: Sequence[str],
    *,
    replace_all: bool = False,
) -> TableChanges:
    """Changes ``incoming`` makes to ``existing``; with ``replace_all`` missing rows are removed."""
    before = keyed_rows(existing, key, columns)
    after = keyed_rows(incoming, key, columns)
    new = sum(1 for k in after if k not in before)
    updated = sum(1 for k, v in after.items() if k in before and before[k] != v)
    unchanged = len(after) - new - updated
    removed = sum(1 for k in before if k not in after) if replace_all else 0
    return TableChanges(new, updated, unchanged, removed)
