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
    Python: checking 60,000 teams against 20,000 model ids took over a second.
    """
    if isinstance(allowed, pd.Series | pd.Index | np.ndarray):
        wanted = np.asarray(allowed, dtype=object)
    else:
        wanted = np.asarray(list(allowed), dtype=object)
    found: np.ndarray = pd.Index(values.to_numpy(dtype=object), dtype=object).isin(wanted)
    return found
