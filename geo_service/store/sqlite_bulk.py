"""Many values in few SQLite statements: bulk inserts, and ``IN`` lists of any length.

SQLite caps the parameters of one statement (``SQLITE_LIMIT_VARIABLE_NUMBER``: 32,766 by
default, 999 in builds before 3.32), while an import asks for every one of its 80,000
codes at once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

_ROWS_PER_STATEMENT = 200
# Longer IN lists go as one JSON parameter: well under the smallest variable limit, with
# room for the other parameters of the statement.
MAX_LISTED = 500


def in_list(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """``column IN (…)`` and its parameters, for any number of values (none: no row).

    Up to ``MAX_LISTED`` values are bound one per placeholder. A longer list is bound as
    one JSON array that SQLite's ``json_each`` reads: one statement still, so ORDER BY
    and LIMIT stay in SQL, where splitting the list into statements under the variable
    limit would take them out. Values are text or numbers.
    """
    listed = list(values)
    if len(listed) <= MAX_LISTED:
        return f"{column} IN ({', '.join('?' * len(listed))})", listed
    return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(listed)]


def insert_rows(
    connection: sqlite3.Connection, head: str, columns: Sequence[Sequence[Any]], tail: str = ""
) -> None:
    """``head VALUES (…), (…), … tail`` for rows given column by column.

    pysqlite's ``executemany`` resets and steps its statement once per row, which for a
    national import costs more than SQLite's own work; a statement of a few hundred rows
    is stepped once for all of them.
    """
    count = len(columns[0]) if columns else 0
    if not count:
        return
    width = len(columns)
    limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(_ROWS_PER_STATEMENT, limit // width))
    values = list(chain.from_iterable(zip(*columns, strict=True)))
    row = f"({', '.join('?' * width)})"

    def statement(rows: int) -> str:
        return f"{head} VALUES {', '.join([row] * rows)} {tail}"

    full = statement(per_statement)
    for start in range(0, count, per_statement):
        rows = min(per_statement, count - start)
        sql = full if rows == per_statement else statement(rows)
        connection.execute(sql, values[start * width : (start + rows) * width])
