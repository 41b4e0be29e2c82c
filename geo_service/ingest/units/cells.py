"""Whole columns of a boundary file's cells, parsed at once.

A village file has 80,000 rows whose names, types and dates repeat ("Thôn 1"), so each
parser works on a column: clean text is kept as it is, numeric columns are checked with
numpy, and text that needs parsing is parsed once per distinct value. Problems are
collected per row position and step, then reported in row order
(``RowProblems.report_to``), as a row-by-row reader would have reported them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from geo_service.ingest.readers.cell_checks import check_cell_text
from geo_service.ingest.readers.cells import parse_count, parse_date
from geo_service.ingest.registers.personal_data import might_hold_personal_data
from geo_service.ingest.report import ValidationReport
from geo_service.keys import first_rows

T = TypeVar("T")
U = TypeVar("U")
_FORMULA_STARTS = ("=", "@", "+", "-", "\t", "\r")


@dataclass
class RowProblems:
    """Errors keyed by (row position, step), reported in that order."""

    rows: list[int]
    found: list[tuple[int, int, str, str | None, str]] = field(default_factory=list)

    def add(self, position: int, step: int, message: str, column: str | None, code: str) -> None:
        self.found.append((position, step, message, column, code))

    def report_to(self, report: ValidationReport) -> None:
        for position, _, message, column, code in sorted(self.found, key=lambda p: p[:2]):
            report.error(message, row=self.rows[position], field=column, code=code)


def unsafe_text(value: str, column: str) -> tuple[str, str] | None:
    """(message, code) when ``value`` is a spreadsheet formula or markup, or holds personal
    data (a phone or ID number, an e-mail address), else None.

    Names end up in maps and CSV downloads, where formulas and markup would run, and which
    are public.
    """
    unusual = value[:1] in _FORMULA_STARTS or "<" in value or ">" in value
    if not (unusual or might_hold_personal_data(value)):
        return None  # the usual case, decided without the full check
    found = ValidationReport("")
    if check_cell_text(found, value, row=0, field=column):
        return None
    return found.errors[0].message, found.errors[0].code


def column_values(frame: pd.DataFrame, column: str | None) -> list[object]:
    if column is None:
        return [None] * len(frame)
    return frame[column].to_numpy(dtype=object).tolist()


def text(value: object) -> str | None:
    """A cell as single-spaced text; None when empty. Whole floats lose their ".0"."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            value = int(value)
    joined = " ".join(str(value).split())
    return joined or None


def texts(values: list[object]) -> list[str | None]:
    """``text`` of each value; clean strings (nearly all of them) are kept as they are."""
    if _all_clean_text(values):
        return values  # type: ignore[return-value]  # all str, checked
    return [
        v
        if type(v) is str and v and v.isprintable() and v == v.strip() and "  " not in v
        else text(v)
        for v in values
    ]


def _all_clean_text(values: list[object]) -> bool:
    """Whether every value is non-empty single-spaced printable text, checked in C.

    Joined with "|", an empty value, an edge space or a double space shows as one of the
    substrings below ("|" inside a value only sends a clean column the slow way).
    """
    try:
        joined = "|".join(values)  # type: ignore[arg-type]  # TypeError unless all str
    except TypeError:
        return False
    edges = ("  ", "| ", " |", "||")
    return bool(joined) and (  # a single empty value joins to ""
        joined.isprintable()
        and not any(edge in joined for edge in edges)
        and not joined.startswith((" ", "|"))
        and not joined.endswith((" ", "|"))
    )


@dataclass(frozen=True)
class Distinct(Generic[T]):
    """A column parsed once per distinct value: ``parsed[positions[row]]`` is row's result."""

    positions: np.ndarray
    parsed: list[T]

    def per_row(self) -> list[T]:
        return [self.parsed[position] for position in self.positions.tolist()]

    def value(self, position: int) -> T:
        return self.parsed[self.positions[position]]

    def map(self, parse: Callable[[T], U]) -> Distinct[U]:
        return Distinct(self.positions, [parse(value) for value in self.parsed])

    def where(self, test: Callable[[T], bool]) -> np.ndarray:
        """Whether each row's result passes ``test`` (booleans, one per row)."""
        hit = np.fromiter((bool(test(v)) for v in self.parsed), dtype=bool, count=len(self.parsed))
        return hit[self.positions]

    def rows_where(self, test: Callable[[T], bool]) -> list[int]:
        """Row positions whose result passes ``test``, found without a loop over rows."""
        return np.flatnonzero(self.where(test)).tolist()

    def objects(self) -> np.ndarray | list[T]:
        """Each row's result as an object column (a list when empty, as pandas reads it)."""
        if not len(self.positions):
            return []
        return np.fromiter(self.parsed, dtype=object, count=len(self.parsed))[self.positions]


def distinct(values: Sequence[object] | np.ndarray, parse: Callable[[Any], T]) -> Distinct[T]:
    """``parse`` once per distinct value; empty values (None, NaN) are parsed as None.

    The values are hashed by pandas (in C), so no Python loop runs over the rows; they
    must be hashable.
    """
    cells = values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=object)
    positions, uniques = pd.factorize(cells, use_na_sentinel=False)
    return Distinct(
        positions,
        [
            parse(None if _is_na(cells[row]) else cells[row])
            for row in first_rows(positions, len(uniques))
        ],
    )


def distinct_cells(
    frame: pd.DataFrame, column: str | None, parse: Callable[[Any], T]
) -> Distinct[T]:
    """``distinct(column_values(frame, column), parse)``, for a typed column without a
    Python object per cell: its values are hashed as they are stored."""
    if column is None:
        return Distinct(np.zeros(len(frame), dtype=np.intp), [parse(None)])
    series = frame[column]
    if series.dtype == object:
        return distinct(series.to_numpy(dtype=object), parse)
    positions, uniques = pd.factorize(series, use_na_sentinel=False)
    cells = series.iloc[first_rows(positions, len(uniques))].to_numpy(dtype=object).tolist()
    return Distinct(positions, [parse(None if _is_na(cell) else cell) for cell in cells])


def _is_na(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def counts(
    frame: pd.DataFrame, column: str | None, step: int, problems: RowProblems
) -> pd.arrays.IntegerArray:
    """Whole non-negative numbers (Int64); anything else is an error naming the column."""
    if column is None:
        return pd.array([None] * len(frame), dtype="Int64")
    series = frame[column]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _numeric_counts(series, column, step, problems)
    parsed = distinct_cells(frame, column, _count)
    for position in parsed.rows_where(lambda found: found[0] is None and found[1] is not None):
        problems.add(
            position,
            step,
            f"'{parsed.value(position)[1]}' is not a whole non-negative number",
            column,
            "invalid_number",
        )
    numbers = pd.array([number for number, _ in parsed.parsed], dtype="Int64")
    return numbers.take(parsed.positions)


def _numeric_counts(
    series: pd.Series, column: str, step: int, problems: RowProblems
) -> pd.arrays.IntegerArray:
    values = series.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    with np.errstate(invalid="ignore"):
        bad = ~missing & ((values < 0) | (values != np.round(values)))
    for position in np.flatnonzero(bad):
        problems.add(
            int(position),
            step,
            f"'{text(values[position])}' is not a whole non-negative number",
            column,
            "invalid_number",
        )
    empty = missing | bad
    return pd.arrays.IntegerArray(np.where(empty, 0, values).astype(np.int64), empty)


def _count(value: object) -> tuple[int | None, str | None]:
    """(number, None), or (None, text shown in the error); (None, None) when empty."""
    shown = text(value)
    if shown is None:
        return None, None
    try:
        number = (
            round(float(value))
            if isinstance(value, int | float | np.number) and not isinstance(value, bool)
            else parse_count(shown)
        )
    except (ValueError, OverflowError):
        return None, shown
    return (number, None) if number is not None and number >= 0 else (None, shown)


def dates(
    frame: pd.DataFrame, column: str | None, step: int, problems: RowProblems
) -> Distinct[date | None]:
    if column is None:
        return Distinct(np.zeros(len(frame), dtype=np.intp), [None])
    if pd.api.types.is_datetime64_any_dtype(frame[column]):
        return distinct_cells(frame, column, _day)
    parsed = distinct_cells(frame, column, _date)
    for position in parsed.rows_where(lambda found: found[1] is not None):
        problems.add(position, step, str(parsed.value(position)[1]), column, "invalid_date")
    return parsed.map(lambda found: found[0])


def _day(value: pd.Timestamp | None) -> date | None:
    """The day of a date column's cell (a Timestamp, NaT or None)."""
    return None if value is None or pd.isna(value) else value.date()


def _date(value: object) -> tuple[date | None, str | None]:
    """(date, None) or (None, the problem)."""
    if value is None:
        return None, None
    if isinstance(value, datetime | pd.Timestamp):
        return (None if pd.isna(value) else value.date()), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, np.datetime64):
        return (None if np.isnat(value) else pd.Timestamp(value).date()), None
    shown = text(value)
    try:
        return (parse_date(shown) if shown else None), None
    except ValueError as problem:
        return None, str(problem)
