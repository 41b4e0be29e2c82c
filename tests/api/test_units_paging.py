"""``/api/units`` with ``limit``: the count is of every unit found, the rows are the first
``limit`` of them, in the order of the whole list, with or without a name search."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

BEFORE = "2025-06-30"


@pytest.mark.parametrize(
    "params",
    [
        {"as_of": BEFORE},
        {"as_of": BEFORE, "level": 4},
        {"as_of": BEFORE, "parent": "09496"},
        {"as_of": BEFORE, "q": "thon"},
        {"q": "xa"},  # today: communes formed in 2025, and retired ones found by name
    ],
)
def test_a_limited_list_is_the_head_of_the_whole_list(
    client: TestClient, params: dict[str, object]
) -> None:
    whole = client.get("/api/units", params={**params, "limit": 100_000}).json()
    assert whole["count"] == len(whole["units"]) > 3
    for limit in (1, 3, whole["count"] - 1):
        head = client.get("/api/units", params={**params, "limit": limit}).json()
        assert head["count"] == whole["count"]
        assert head["units"] == whole["units"][:limit]
