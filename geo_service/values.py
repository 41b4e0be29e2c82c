"""One meaning for a missing or foreign scalar, shared by storage, comparison and output."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """A plain Python value, ready for JSON: None/NaN/NaT/NA → None, numpy → Python, dates →
    ISO text; arrays, lists and tuples → lists and dicts → dicts (str keys), element by element.

    A datetime at midnight is a date that went through pandas, so it becomes a date.
    Anything else (str, int, geometry) is returned as it is.
    """
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def member_of(values: pd.Series, allowed: Any) -> np.ndarray:
    """``values.isin(allowed)`` as a boolean array, by hashing plain objects.

    pandas' ``isin`` on Arrow-backed text builds a pyarrow scalar per allowed value in
    Python; here each value is hashed once, as a plain Python object.
    """
    if isinstance(allowed, pd.Series | pd.Index | np.ndarray):
        wanted = np.asarray(allowed, dtype=object)
    else:
        wanted = np.asarray(list(allowed), dtype=object)
    found: np.ndarray = pd.Index(values.to_numpy(dtype=object), dtype=object).isin(wanted)
    return found


def as_date(value: Any) -> date | None:
    """A day: a date as it is, a datetime (or pandas Timestamp) as its date, ISO text
    ('2025-07-01') parsed; None when missing. Anything else raises ``ValueError``."""
    if value is pd.NaT:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    value = plain(value)  # missing -> None
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"{value!r} is not a date")


def date_column(values: Any) -> np.ndarray:
    """``as_date`` of every value, as an object array (one call per distinct value)."""
    return _each_distinct(values, as_date)


def iso_column(values: Any) -> np.ndarray:
    """Dates as ISO text (``plain``), None when missing, as an object array."""
    return _each_distinct(values, plain)


def _each_distinct(values: Any, convert: Any) -> np.ndarray:
    """``convert`` of each distinct present value, spread over the rows; None for missing."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))  # missing: code -1
    converted = np.empty(len(distinct) + 1, dtype=object)
    converted[:-1] = [convert(value) for value in distinct]
    converted[-1] = None
    result: np.ndarray = converted[codes]
    return result
