"""Rows kept as feature properties: the same dicts ``records`` writes, None left out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_service.api.feature_properties import FeatureProperties
from geo_service.api.serialise import records


def table() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "code": pd.array(["A", "B", "C", "D"], dtype="string"),
            "name": pd.array(["Xã Một", None, "Xã Ba", "Xã Một"], dtype="string"),
            "coverage_pct": [50.0, np.nan, 100.0, 0.0],
            "villages_total": pd.array([2, None, 3, 0], dtype="Int64"),
            "status": ["covered", "uncovered", None, "covered"],
        }
    )
    return frame.set_index("code")


def without_none(rows: list[dict]) -> list[dict]:
    return [{key: value for key, value in row.items() if value is not None} for row in rows]


def test_rows_by_code_are_the_records_of_the_table_without_missing_values() -> None:
    frame = table()
    kept = FeatureProperties.of(frame)
    asked = pd.Series(["C", "A", "D", "B"], dtype="string")
    expected = without_none(
        records(frame.reindex(pd.Index(asked, name="code")).reset_index(), ["code", *frame.columns])
    )
    found = kept.of_codes(asked)
    assert found == expected
    assert found[0] == {"code": "C", "name": "Xã Ba", "coverage_pct": 100.0, "villages_total": 3}
    assert [type(row.get("villages_total")) for row in found] == [int, int, int, type(None)]


def test_a_code_the_table_lacks_has_only_its_code() -> None:
    kept = FeatureProperties.of(table())
    assert kept.of_codes(pd.Series(["Z", "A"])) == [
        {"code": "Z"},
        {
            "code": "A",
            "name": "Xã Một",
            "coverage_pct": 50.0,
            "villages_total": 2,
            "status": "covered",
        },
    ]


def test_rows_by_position_and_an_empty_table() -> None:
    kept = FeatureProperties.of(table())
    assert [row["code"] for row in kept.at_rows(np.array([3, 1], dtype=np.intp))] == ["D", "B"]
    assert kept.at_rows(np.array([], dtype=np.intp)) == []
    empty = FeatureProperties.of(table().iloc[:0])
    assert len(empty) == 0
    assert empty.of_codes(pd.Series(["A"], dtype="string")) == [{"code": "A"}]
