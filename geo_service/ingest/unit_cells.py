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

from geo_service.domain import Level
from geo_service.ingest.tables import check_cell_text, parse_count, parse_date
from geo_service.validate import ValidationReport

T = TypeVar("T")
CODE_WIDTH = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}
_FORMULA_STARTS = ("=", "@", "+", "-")


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
    """(message, code) when ``value`` is a spreadsheet formula or markup, else None.

    Names end up in maps and CSV downloads, where both would run.
    """
    if not (value[:1] in _FORMULA_STARTS or "<" in value or ">" in value):
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
    return bool(values) and (
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

    def rows_where(self, test: Callable[[T], bool]) -> list[int]:
        """Row positions whose result passes ``test``, found without a loop over rows."""
        hit = np.asarray([test(value) for value in self.parsed], dtype=bool)
        return np.flatnonzero(hit[self.positions]).tolist() if hit.any() else []


def distinct(values: Sequence[object], parse: Callable[[Any], T]) -> Distinct[T]:
    """``parse`` once per distinct value; empty values (None, NaN) are parsed as None."""
    return distinct_rows([values], lambda key: parse(key[0]))


def distinct_rows(
    columns: Sequence[Sequence[object]], parse: Callable[[tuple[Any, ...]], T]
) -> Distinct[T]:
    """``parse`` once per distinct row of ``columns`` (a tuple of their cells).

    Each column is hashed by pandas (in C) and the codes combined, so no Python loop
    runs over the rows; cells must be hashable.
    """
    count = len(columns[0])
    key = np.zeros(count, dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(
            np.fromiter(column, dtype=object, count=count), use_na_sentinel=False
        )
        key, _ = pd.factorize(key * max(len(uniques), 1) + codes)  # stays below count
    _, first = np.unique(key, return_index=True)
    parsed = [
        parse(tuple(None if _is_na(column[row]) else column[row] for column in columns))
        for row in first.tolist()
    ]
    return Distinct(key, parsed)


def _is_na(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def unsafe_positions(values: list[str | None], column: str) -> list[tuple[int, str, str]]:
    """(position, message, code) of each value that is a formula or holds markup."""
    present = [v for v in values if v]
    joined = "\n" + "\n".join(present)
    if not any(mark in joined for mark in ("<", ">", *(f"\n{s}" for s in _FORMULA_STARTS))):
        return []  # the usual case, decided in C
    found = []
    for position, value in enumerate(values):
        problem = unsafe_text(value, column) if value else None
        if problem is not None:
            found.append((position, *problem))
    return found


def codes(values: list[object], levels: list[Level | None]) -> list[str | None]:
    """Codes as text; numeric cells lost their leading zeros, so pad to the GSO width."""
    out = texts(values)
    if out is values:  # all text: nothing lost its zeros
        return out
    for position, value in enumerate(values):
        level = levels[position]
        if out[position] and level and isinstance(value, int | float | np.integer | np.floating):
            width = CODE_WIDTH.get(level)
            if width:
                out[position] = str(out[position]).zfill(width)
    return out


def counts(
    frame: pd.DataFrame, column: str | None, step: int, problems: RowProblems
) -> pd.arrays.IntegerArray:
    """Whole non-negative numbers (Int64); anything else is an error naming the column."""
    if column is None:
        return pd.array([None] * len(frame), dtype="Int64")
    series = frame[column]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _numeric_counts(series, column, step, problems)
    parsed = distinct(column_values(frame, column), _count)
    for position in parsed.rows_where(lambda found: found[0] is None and found[1] is not None):
        shown = parsed.parsed[parsed.positions[position]][1]
        problems.add(
            position,
            step,
            f"'{shown}' is not a whole non-negative number",
            column,
            "invalid_number",
        )
    numbers = Distinct(parsed.positions, [number for number, _ in parsed.parsed])
    return pd.array(numbers.per_row(), dtype="Int64")


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
) -> list[date | None]:
    if column is None:
        return [None] * len(frame)
    series = frame[column]
    if pd.api.types.is_datetime64_any_dtype(series):
        days = series.dt.date.to_numpy(dtype=object)
        return [None if pd.isna(d) else d for d in days.tolist()]
    parsed = distinct(column_values(frame, column), _date)
    for position in parsed.rows_where(lambda found: found[1] is not None):
        problem = parsed.parsed[parsed.positions[position]][1]
        problems.add(position, step, str(problem), column, "invalid_date")
    return Distinct(parsed.positions, [day for day, _ in parsed.parsed]).per_row()


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
