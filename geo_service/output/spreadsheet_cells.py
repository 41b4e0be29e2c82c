"""Text cells that a spreadsheet will show, never run.

Every CSV (and any XLSX) the service writes passes its text cells through ``inert``:
as OWASP recommends against CSV injection, a text beginning with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with a single quote, whatever the store
holds (input checks refuse such names today, but older stores and other writers exist).
Numbers stay numbers: only text is touched, so a count of -2 is still a number.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def inert(value: object) -> object:
    """``value``, with a single quote before a text that a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def inert_text(text: str) -> str:
    return QUOTE + text if text.startswith(FORMULA_STARTS) else text


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are ``inert``; numeric and boolean columns
    are left as they are."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        out[column] = values.map(inert, na_action="ignore")
    return out


def restored(text: str) -> str:
    """A cell read back from a file the service wrote, without the quote ``inert`` added."""
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
