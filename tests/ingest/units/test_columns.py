"""The column-at-a-time unit parsing gives the answers a value-by-value reading gives.

``normalise_units`` reads text columns through Arrow (``ingest.text_columns``) and parses
each distinct value once; an object column is still read cell by cell. So the same file
with its text stored either way must give the same units and the same problems, and each
column helper must agree with ``text`` applied to every cell.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely

from geo_service.ingest.units.boundaries import normalise_units
from geo_service.ingest.units.cells import column_values, text, texts
from geo_service.ingest.units.text_columns import code_texts, column_texts, distinct_texts
from geo_service.keys import combined_keys

MESSY_TEXTS = [
    "Thôn 1",
    "Thôn  1",
    " Thôn 1",
    "Thôn 1 ",
    "",
    "   ",
    "Bản\tMường",
    "Làng\u00a0Ba",
    "Thôn\u200b5",
    "x\ny",
    "a|b",
    "Ấp Tân Phong",
    None,
]


def one_column(values: pd.Series) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"c": values}, geometry=[None] * len(values))


COLUMNS = {
    "arrow text": pd.Series(MESSY_TEXTS * 3, dtype="str"),
    "clean arrow text": pd.Series(["Thôn 1", "Xóm 2", "Ấp Tân Phong", None] * 3, dtype="str"),
    "sliced arrow text": pd.Series(MESSY_TEXTS * 3, dtype="str").iloc[5:20],
    "python text": pd.Series(MESSY_TEXTS, dtype=pd.StringDtype("python")),
    "arrow dtype text": pd.Series(MESSY_TEXTS, dtype=pd.ArrowDtype(pa.string())),
    "objects": pd.Series(
        [*MESSY_TEXTS, 1, 1.0, True, 2.5, float("nan"), pd.NaT, date(2025, 7, 1)], dtype=object
    ),
    "integers": pd.Series([1, 4, 12345, 4, -1], dtype="int64"),
    "floats": pd.Series([1.0, 4.0, 2.5, float("nan"), 1e20, -0.0], dtype="float64"),
    "nullable integers": pd.Series([1, None, 4, 4], dtype="Int64"),
    "booleans": pd.Series([True, False, True]),
    "datetimes": pd.Series([pd.Timestamp("2025-07-01"), pd.NaT, pd.Timestamp("2008-08-01 13:00")]),
    "categories": pd.Series(["Thôn 1", "Thôn  1", None, "Thôn 1"], dtype="category"),
}


@pytest.mark.parametrize("kind", COLUMNS)
def test_column_texts_are_the_text_of_each_cell(kind: str) -> None:
    frame = one_column(COLUMNS[kind].reset_index(drop=True))
    expected = [text(value) for value in column_values(frame, "c")]
    assert column_texts(frame, "c").to_pylist() == expected
    assert distinct_texts(frame, "c").per_row() == expected


def test_column_without_cells_has_no_texts() -> None:
    frame = one_column(pd.Series(["a", "b"], dtype="str"))
    assert column_texts(frame, None).to_pylist() == [None, None]
    assert distinct_texts(frame, None).per_row() == [None, None]


def test_a_single_empty_value_is_no_text() -> None:
    assert texts([""]) == [None]
    assert texts(["Thôn 1"]) == ["Thôn 1"]


def test_numeric_codes_are_padded_to_the_width_of_their_level() -> None:
    levels = np.array([3, 2, 1, 0, 4, 3], dtype=np.int8)
    numbers = pd.Series([9496, 264, 1, 5, 7, 9496], dtype="int64")
    expected = ["09496", "264", "01", "5", "7", "09496"]
    assert code_texts(one_column(numbers), "c", levels).to_pylist() == expected
    floats = one_column(numbers.astype(float))
    assert code_texts(floats, "c", levels).to_pylist() == expected
    mixed = one_column(pd.Series([9496, "264", 1.0, None, 7, "09496"], dtype=object))
    assert code_texts(mixed, "c", levels).to_pylist() == ["09496", "264", "01", None, "7", "09496"]
    text_codes = one_column(pd.Series(["9496", "264"], dtype="str"))
    assert code_texts(text_codes, "c", levels[:2]).to_pylist() == ["9496", "264"]


def test_combined_keys_number_combinations_by_first_appearance() -> None:
    first = np.array([0, 1, 0, 1, 0, 2])
    second = np.array([5, 5, 5, 0, 5, 5])
    key, first_rows = combined_keys([first, second])
    assert key.tolist() == [0, 1, 0, 2, 0, 3]
    assert first_rows == [0, 1, 3, 5]


def village_rows() -> dict[str, list[object]]:
    """Villages with every kind of problem a row can have, and rows that repeat."""
    return {
        "ma_don_vi": ["00001-1", "00001-2", "00001-2", None, " 00001-5", "00001-6", "00001-7"],
        "ten_don_vi": ["Thôn 1", "Thôn Một", "Xóm  2", "=SUM(A1)", "", "Thôn Hoà", "Thôn Hòa"],
        "ma_cha": ["00001", "00001", "00001", "00001", None, "00002", "00002"],
        "loai": ["thon", "Thôn", "xom", "thon", "thon", "bogus", None],
        "dan_so": ["120", "1.000", "-3", None, "x", "7", "8"],
        "valid_from": ["2008-08-01", "2008-08-01", "1/8/2008", None, "soon", None, "01/07/2025"],
    }


@pytest.mark.parametrize("level", [None, 4])
def test_units_do_not_depend_on_how_the_file_stores_its_text(level: int | None) -> None:
    rows = village_rows()
    geometry = [shapely.box(i, 0, i + 1, 1) for i in range(len(rows["ma_don_vi"]))]
    stored = {
        storage: gpd.GeoDataFrame(
            {column: pd.Series(values, dtype=storage) for column, values in rows.items()},
            geometry=geometry,
            crs="EPSG:4326",
        )
        for storage in ("str", object)
    }
    results = {
        storage: normalise_units(raw, file_name="thon.gpkg", level=level, source="thon.gpkg")
        for storage, raw in stored.items()
    }
    (arrow_units, arrow_report), (object_units, object_report) = results.values()
    pd.testing.assert_frame_equal(arrow_units, object_units, check_exact=True)
    assert arrow_report.problems == object_report.problems
    found = {(problem.row, problem.code) for problem in arrow_report.problems}
    expected = {(3, "duplicate_code"), (4, "missing_value"), (4, "formula"), (5, "invalid_date")}
    assert expected <= found
    assert (2, "duplicate_name") in found  # "Thôn Một" is "Thôn 1" in the same commune
    assert arrow_units["name"].tolist()[:3] == ["Thôn 1", "Thôn Một", "Xóm 2"]
