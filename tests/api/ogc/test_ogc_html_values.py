"""The HTML items page shows each property as the JSON answer spells it: ``true`` and
``false`` for booleans (not Python's ``True``/``False``), nothing for null."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from fastapi.testclient import TestClient

BEFORE = "2025-06-30"  # the demo has covered and uncovered villages on this day


class TableCells(HTMLParser):
    """The text of each ``<td>``/``<th>`` row of the page's tables, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_items_page_spells_booleans_as_json_and_null_as_nothing(client: TestClient) -> None:
    params = {"datetime": BEFORE, "limit": "1000"}
    features = client.get("/ogc/collections/villages/items", params=params).json()["features"]
    page = client.get("/ogc/collections/villages/items", params=params | {"f": "html"}).text
    parser = TableCells()
    parser.feed(page)
    header, *rows = parser.rows
    assert len(rows) == len(features)

    shown = [dict(zip(header, row, strict=True)) for row in rows]
    assert {row["covered"] for row in shown} == {"true", "false"}
    nulls = 0
    for row, feature in zip(shown, features, strict=True):
        for column, value in feature["properties"].items():
            if value is None:
                assert row[column] == "", column
                nulls += 1
            elif isinstance(value, bool):
                assert row[column] == json.dumps(value), column
    assert nulls > 0  # the demo leaves some counts unknown
    words = " ".join(cell for row in rows for cell in row).split()
    assert not {"True", "False", "None"} & set(words)
