"""A boundary file's text columns as Arrow string arrays, each distinct value read once.

pandas 3 keeps text in Arrow; reading it a value at a time makes a Python object per cell
(80,000 per column of a national village file). Here a column's ``text`` (see
``unit_cells.text``) is found once per distinct value, or not at all when Arrow shows that
every value already is clean text, and the result stays in Arrow until the unit frame
is built. A null is a cell without text (``text`` gave None).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo_service.domain import Level
from geo_service.ingest.units.cells import (
    Distinct,
    column_values,
    distinct,
    distinct_cells,
    text,
    texts,
)
from geo_service.keys import combined_keys

TEXT = pa.large_string()  # what pandas' ``str`` columns hold
CODE_WIDTH = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}


def column_texts(frame: pd.DataFrame, column: str | None) -> pa.Array:
    """``text`` of each cell of ``column`` (all null when there is no column)."""
    if column is None:
        return pa.nulls(len(frame), TEXT)
    series = frame[column]
    if _holds_text(series):
        values = _arrow_text(series)
        return values if _already_text(values) else per_row(encode(values, as_text=True))
    if series.dtype == object:
        return pa.array(texts(column_values(frame, column)), type=TEXT)
    return per_row(distinct_cells(frame, column, text))


def distinct_texts(frame: pd.DataFrame, column: str | None) -> Distinct[str | None]:
    """``text`` of each cell of ``column``, found once per distinct cell."""
    if column is not None and _holds_text(frame[column]):
        return encode(_arrow_text(frame[column]), as_text=True)
    if column is not None and frame[column].dtype == object:
        # Cell by cell: an object column's 1, 1.0 and True hash alike but read differently.
        return distinct(texts(column_values(frame, column)), _same)
    return distinct_cells(frame, column, text)


def code_texts(frame: pd.DataFrame, column: str | None, levels: np.ndarray) -> pa.Array:
    """Codes as text; numeric cells lost their leading zeros, so pad to the GSO width of
    their row's level (``levels``: level numbers, 0 when unknown)."""
    if column is None or _holds_text(frame[column]):
        return column_texts(frame, column)  # text cells keep their zeros
    if frame[column].dtype == object:
        return pa.array(_object_codes(column_values(frame, column), levels), type=TEXT)
    cells = distinct_cells(frame, column, _same)
    key, first = combined_keys([cells.positions, levels])
    padded = [_padded(cells.value(row), text(cells.value(row)), int(levels[row])) for row in first]
    return per_row(Distinct(key, padded))


def _object_codes(values: list[object], levels: np.ndarray) -> list[str | None]:
    shown = texts(values)
    if shown is values:  # all text: nothing lost its zeros
        return shown
    return [
        _padded(value, value_text, level)
        for value, value_text, level in zip(values, shown, levels.tolist(), strict=True)
    ]


def _padded(value: object, shown: str | None, level: int) -> str | None:
    if shown and level and isinstance(value, int | float | np.integer | np.floating):
        width = CODE_WIDTH.get(Level(level))
        if width:
            return shown.zfill(width)
    return shown


def encode(values: pa.Array, *, as_text: bool = False) -> Distinct[str | None]:
    """The distinct values of a string array, null as None; ``as_text``: their ``text``."""
    encoded = values.dictionary_encode()
    parsed: list[str | None] = encoded.dictionary.to_pylist()
    if as_text and not _already_text(encoded.dictionary):
        parsed = [text(value) for value in parsed]
    indices = encoded.indices
    if indices.null_count:
        indices = pc.fill_null(indices, len(parsed))
        parsed.append(None)
    return Distinct(indices.to_numpy(), parsed)


def value_keys(values: pa.Array) -> np.ndarray:
    """A number per row, equal for equal values (nulls included)."""
    indices = values.dictionary_encode().indices
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    return indices.to_numpy().astype(np.int64) + 1


def distinct_value_keys(found: Distinct[Any]) -> np.ndarray:
    """A number per row, equal for rows whose results are equal (None included)."""
    keys, _ = pd.factorize(
        np.fromiter(found.parsed, dtype=object, count=len(found.parsed)), use_na_sentinel=False
    )
    return keys[found.positions]


def per_row(found: Distinct[str | None]) -> pa.Array:
    return pa.array(found.parsed, type=TEXT).take(pa.array(found.positions))


def text_column(values: pa.Array) -> pd.api.extensions.ExtensionArray | list[None]:
    """A unit frame column; with no text at all, the list pandas made such a column from."""
    if values.null_count == len(values):
        return [None] * len(values)
    return pd.array(values, dtype="str")


def _same(value: Any) -> Any:
    return value


def _holds_text(series: pd.Series) -> bool:
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype):
        return bool(pa.types.is_string(dtype.pyarrow_dtype)) or bool(
            pa.types.is_large_string(dtype.pyarrow_dtype)
        )
    return isinstance(dtype, pd.StringDtype)


def _arrow_text(series: pd.Series) -> pa.Array:
    values = pa.array(series.array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values if values.type == TEXT else values.cast(TEXT)


def _already_text(values: pa.Array) -> bool:
    """Whether every value is non-empty, printable and single-spaced (then ``text`` keeps
    it as it is), checked on the array's bytes.

    Python's ``isprintable`` runs once over all the values' characters; the only printable
    space is " ", so the spacing is checked on bytes. Bytes behind nulls may only make a
    clean column take the slow way, which gives the same texts.
    """
    offsets, data = values.buffers()[1:3]
    if offsets is None or data is None or values.null_count == len(values):
        return values.null_count == len(values)
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    ends = np.frombuffer(offsets, dtype=width)[values.offset : values.offset + len(values) + 1]
    ends = ends.astype(np.int64)
    raw = memoryview(data)[int(ends[0]) : int(ends[-1])].tobytes()
    if b"  " in raw or not raw.decode("utf-8").isprintable():
        return False
    starts, lengths = ends[:-1] - ends[0], np.diff(ends)
    if values.null_count:
        present = ~np.asarray(values.is_null())
        starts, lengths = starts[present], lengths[present]
    if not lengths.all():
        return False
    spaces = np.frombuffer(raw, dtype=np.uint8) == ord(" ")
    return not (spaces[starts].any() or spaces[starts + lengths - 1].any())
