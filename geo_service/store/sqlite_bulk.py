"""Many rows in few statements, for the GeoPackage store's bulk writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any, overload

_ROWS_PER_STATEMENT = 200


def insert_rows(
    connection: sqlite3.Connection, head: str, columns: Sequence[Sequence[Any]], tail: str = ""
) -> None:
    """``head VALUES (…), (…), … tail`` for rows given column by column.

    pysqlite's ``executemany`` resets and steps its statement once per row, which cost
    more than SQLite's own work for a national import; a statement of a few hundred rows
    writes the same rows in about two thirds of the time. Binding a value from Python is
    most of what is left, so a column holding one value throughout (the import, the level,
    the validity dates of a whole file), given as ``Repeated``, is bound once per
    statement, as parameter ``?N`` shared by every row.
    """
    count = len(columns[0]) if columns else 0
    if not count:
        return
    limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    shared = [index for index, column in enumerate(columns) if isinstance(column, Repeated)]
    if limit < len(columns):  # a row must fit one statement whatever is shared
        shared = []
    varying = [columns[index] for index in range(len(columns)) if index not in shared]
    width = len(varying)
    limit -= len(shared)
    per_statement = max(1, min(_ROWS_PER_STATEMENT, limit // max(width, 1)))
    constants = [columns[index][0] for index in shared]
    values = list(chain.from_iterable(zip(*varying, strict=True))) if width else []

    def statement(rows: int) -> str:
        listed = ", ".join(_row(shared, len(columns), row) for row in range(rows))
        return f"{head} VALUES {listed} {tail}"

    full = statement(per_statement)
    for start in range(0, count, per_statement):
        rows = min(per_statement, count - start)
        sql = full if rows == per_statement else statement(rows)
        connection.execute(sql, constants + values[start * width : (start + rows) * width])


def _row(shared: list[int], columns: int, row: int) -> str:
    """Row ``row`` of a statement: shared columns are ``?1``… and the varying ones follow."""
    width = columns - len(shared)
    names: list[str] = []
    varying = 0
    for index in range(columns):
        if index in shared:
            names.append(f"?{shared.index(index) + 1}")
        else:
            names.append(f"?{len(shared) + row * width + varying + 1}")
            varying += 1
    return f"({', '.join(names)})"


class Repeated(Sequence[Any]):
    """One value ``count`` times, without a list of them: a column known to hold a single
    value, which ``insert_rows`` binds once per statement."""

    def __init__(self, value: Any, count: int) -> None:
        self.value, self.length = value, count

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.value] * len(range(*index.indices(self.length)))
        if not -self.length <= index < self.length:
            raise IndexError(index)
        return self.value
