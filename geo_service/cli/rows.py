"""How a command shows rows of a frame: a table for a person, JSON for a program.

Both go through ``values.plain``, the one meaning of "missing": a population or a member
count that was never given (pd.NA in an Int64 column, NaN, NaT, None) is a blank cell in
the table and ``null`` in JSON, never a crash and never a zero.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from geo_service.values import plain


def cell(value: Any) -> Text:
    """A table cell: blank when missing; Text, so that a name like "[Thôn 1]" is not read as
    Rich markup."""
    value = plain(value)
    return Text("" if value is None else str(value))


def print_json(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    from geo_service.api.serialise import records

    json.dump(records(frame, columns), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


def print_table(
    console: Console, frame: pd.DataFrame, headers: Mapping[str, str], *, title: str
) -> None:
    """The ``headers`` columns of ``frame`` under their headers. Only names wrap, so that
    codes and figures stay whole on one line; a value too long for its column folds onto
    the next line rather than being cut short."""
    table = Table(title=title)
    for column, header in headers.items():
        table.add_column(header, no_wrap=column != "name", overflow="fold")
    for values in frame[list(headers)].itertuples(index=False, name=None):
        table.add_row(*(cell(value) for value in values))
    if console.is_terminal:
        console.print(table)
        return
    # Piped or redirected, the rows are for a file or another program: the 80 columns Rich
    # assumes there squeezed the names to nothing, so the table takes the width it needs.
    natural = console.measure(table, options=console.options.update_width(1_000)).maximum
    Console(file=console.file, width=max(console.width, natural)).print(table)
