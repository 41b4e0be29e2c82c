"""One meaning for a missing or foreign scalar, shared by storage, comparison and output."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """A plain Python scalar: None/NaN/NaT/NA → None, numpy → Python, dates → ISO text.

    A datetime at midnight is a date that went through pandas, so it becomes a date.
    Anything else (str, int, dict, list, geometry) is returned as it is.
    """
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
