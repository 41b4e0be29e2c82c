"""GDAL layers are read through Arrow: each attribute column becomes what the checks expect."""

from __future__ import annotations

import unicodedata
from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from geo_service.ingest.readers.layers import attribute_column

DECOMPOSED = unicodedata.normalize("NFD", "Thôn Hoà An")


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string(), pa.string_view()])
def test_text_is_nfc_whatever_arrow_type_carries_it(kind: pa.DataType) -> None:
    values = pa.chunked_array([pa.array([DECOMPOSED, None, "ascii"], type=kind)])
    out = list(attribute_column(values, from_cp1258=False))
    assert out[0] == "Thôn Hoà An" and out[0] != DECOMPOSED
    assert out[1] is None or out[1] != out[1]  # missing stays missing (None or NaN)
    assert out[2] == "ascii"


def test_cp1258_text_read_as_latin1_is_decoded() -> None:
    raw = "Thôn Hoà".encode("cp1258").decode("latin-1")
    out = attribute_column(pa.chunked_array([pa.array([raw, None])]), from_cp1258=True)
    assert list(out) == ["Thôn Hoà", None]


def test_numbers_and_dates_become_numpy_arrays() -> None:
    counts = attribute_column(pa.chunked_array([pa.array([1, None, 3], type=pa.int64())]), False)
    assert isinstance(counts, np.ndarray)
    assert counts[0] == 1 and np.isnan(counts[1]) and counts[2] == 3
    dates = attribute_column(pa.chunked_array([pa.array([date(2025, 7, 1), None])]), False)
    assert isinstance(dates, np.ndarray) and dates.dtype.kind == "M"
    assert dates[0] == np.datetime64("2025-07-01") and np.isnat(dates[1])
