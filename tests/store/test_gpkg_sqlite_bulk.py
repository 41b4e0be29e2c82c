"""The GeoPackage store's SQL helpers: ``insert_rows`` lands every row with its values and
SQLite types, whatever the shape; ``in_list`` matches lists of any length."""

from __future__ import annotations

import sqlite3
from datetime import date

import pandas as pd
import pytest

from geo_service.store.gpkg_write import insert_columns, sql_column, sql_columns, sql_value
from geo_service.store.sqlite_bulk import MAX_LISTED, in_list, insert_rows


def _table() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, a, b, c, d, e)")
    return connection


def _rows(connection: sqlite3.Connection) -> list[tuple[object, ...]]:
    return connection.execute(
        "SELECT k, a, typeof(a), b, typeof(b), c, d, typeof(d), e FROM t ORDER BY k"
    ).fetchall()


@pytest.mark.parametrize("variable_limit", [32766, 7, 6])
@pytest.mark.parametrize("count", [1, 2, 199, 200, 201, 457])
def test_rows_land_whole_with_their_types(count: int, variable_limit: int) -> None:
    connection = _table()
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variable_limit)
    keys = list(range(count))
    # a: one value, but 1, 1.0 and True are different SQLite values; b: one float for all;
    # c: all NULL; d: one text; e: one blob.
    mixed = [(1, 1.0, True)[k % 3] for k in keys] if count > 1 else [1.0]
    columns = [keys, mixed, [2.5] * count, [None] * count, ["Thôn 1"] * count, [b"GP"] * count]
    insert_rows(connection, "INSERT INTO t (k, a, b, c, d, e)", columns)
    expected = [
        (
            k,
            int(a) if a is True else a,
            "real" if type(a) is float else "integer",
            2.5,
            "real",
            None,
            "Thôn 1",
            "text",
            b"GP",
        )
        for k, a in zip(keys, mixed, strict=True)
    ]
    assert _rows(connection) == expected


def test_a_tail_applies_to_every_row_and_varying_values_stay_in_place() -> None:
    connection = _table()
    insert_rows(connection, "INSERT INTO t (k, a, d)", [[1, 2, 3], ["x", "y", "z"], [0, 0, 0]])
    insert_rows(
        connection,
        "INSERT INTO t (k, a, d)",
        [[3, 2, 4], ["Z", "Y", "W"], [9, 9, 9]],
        "ON CONFLICT (k) DO UPDATE SET a = excluded.a, d = excluded.d",
    )
    got = connection.execute("SELECT k, a, d FROM t ORDER BY k").fetchall()
    assert got == [(1, "x", 0), (2, "Y", 9), (3, "Z", 9), (4, "W", 9)]


def test_no_rows_write_nothing() -> None:
    connection = _table()
    insert_rows(connection, "INSERT INTO t (k, a)", [[], []])
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (0,)


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([4] * 300, dtype="Int64"),
        pd.Series([pd.NA] * 300, dtype="Int64"),
        pd.Series(["surveyed"] * 300, dtype="str"),
        pd.Series([date(2008, 8, 1)] * 300, dtype=object),
        pd.Series([None] * 300, dtype=object),
        pd.Series([float("nan")] * 300),
        pd.Series([1, 1.0, True] * 100, dtype=object),  # equal in Python, not in SQLite
        pd.Series([date(2008, 8, 1), "2008-08-01"] * 150, dtype=object),
        pd.Series([*["a"] * 150, None, *["a"] * 149], dtype=object),
        pd.Series(range(300)),
        pd.Series([*range(100), *[pd.NA] * 100, *range(100)], dtype="Int64"),
        pd.Series([*[0.5] * 100, *[float("nan")] * 100, *[2.0] * 100]),
    ],
)
def test_insert_columns_store_what_sql_columns_store(values: pd.Series) -> None:
    frame = pd.DataFrame({"k": range(len(values)), "a": values})
    stored = []
    for convert in (sql_columns, insert_columns):
        connection = _table()
        insert_rows(connection, "INSERT INTO t (k, a)", convert(frame, ["k", "a"]))
        stored.append(connection.execute("SELECT k, a, typeof(a) FROM t ORDER BY k").fetchall())
    assert stored[0] == stored[1] and len(stored[0]) == 300


def test_whole_numbers_with_gaps_stay_integers_and_nulls() -> None:
    frame = pd.DataFrame({"k": range(4), "a": pd.Series([7, pd.NA, 2**40, -1], dtype="Int64")})
    for convert in (sql_columns, insert_columns):
        connection = _table()
        insert_rows(connection, "INSERT INTO t (k, a)", convert(frame, ["k", "a"]))
        got = connection.execute("SELECT a, typeof(a) FROM t ORDER BY k").fetchall()
        assert got == [(7, "integer"), (None, "null"), (2**40, "integer"), (-1, "integer")]


def test_dates_are_stored_as_iso_text_and_missing_ones_as_null() -> None:
    values = pd.Series([date(2008, 8, 1), None, date(2025, 7, 1), date(2008, 8, 1)], dtype=object)
    expected = ["2008-08-01", None, "2025-07-01", "2008-08-01"]
    assert sql_column(values) == [sql_value(value) for value in values] == expected


@pytest.mark.parametrize("count", [0, 1, MAX_LISTED, MAX_LISTED + 1, 40_000])
def test_in_lists_of_any_length_match_what_they_list(count: int) -> None:
    connection = _table()
    insert_rows(
        connection, "INSERT INTO t (k, d)", [list(range(1000)), [f"c{k}" for k in range(1000)]]
    )
    # beyond the smallest variable limit SQLite builds have had: the list must not need more
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    listed = list(range(0, 2 * count, 2))  # half of them past the stored keys when long
    for column, values in (("k", listed), ("d", [f"c{k}" for k in listed])):
        clause, params = in_list(column, values)
        assert len(params) <= MAX_LISTED
        sql = f"SELECT k FROM t WHERE {clause} AND k >= ? ORDER BY k DESC LIMIT ?"
        found = [k for (k,) in connection.execute(sql, [*params, 10, 3])]
        assert found == sorted((k for k in listed if 10 <= k < 1000), reverse=True)[:3]
