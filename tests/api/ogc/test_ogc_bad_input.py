"""Bad input to the OGC API is an OGC-style 400 or 404 (``{"code", "description"}``) that
says what to fix, never a 500: a table of known cases, then seeded random garbage in every
parameter."""

from __future__ import annotations

import random
import string

import pytest
from fastapi.testclient import TestClient

ITEMS = "/ogc/collections/villages/items"
BAD_REQUESTS = [
    # (url, params, status, words the description must hold)
    (ITEMS, {"bbox": "1,2,3"}, 400, "4 numbers"),
    (ITEMS, {"bbox": "a,b,c,d"}, 400, "numbers"),
    (ITEMS, {"bbox": "nan,1,2,3"}, 400, "finite"),
    (ITEMS, {"bbox": "1e999,1,2,3"}, 400, "finite"),
    (ITEMS, {"bbox": "105,22,108,20"}, 400, "south <= north"),
    (ITEMS, {"bbox": "200,20,210,22"}, 400, "[-180, 180]"),
    (ITEMS, {"bbox": "105,-95,108,22"}, 400, "[-90, 90]"),
    (ITEMS, {"bbox": ""}, 400, "4 numbers"),
    (ITEMS, {"limit": "0"}, 400, "limit must lie in [1, 100000]"),
    (ITEMS, {"limit": "100001"}, 400, "limit must lie in [1, 100000]"),
    (ITEMS, {"limit": "-5"}, 400, "whole number"),
    (ITEMS, {"limit": "ten"}, 400, "whole number"),
    (ITEMS, {"limit": "9" * 5000}, 400, "whole number"),
    (ITEMS, {"offset": "-1"}, 400, "whole number"),
    (ITEMS, {"datetime": "yesterday"}, 400, "RFC 3339"),
    (ITEMS, {"datetime": "2025-02-30"}, 400, "RFC 3339"),
    (ITEMS, {"datetime": "2025-06-30T25:00:00Z"}, 400, "RFC 3339"),
    (ITEMS, {"datetime": "2025-01-01/2025-06-30"}, 400, "only an instant"),
    (ITEMS, {"datetime": "../2025-06-30"}, 400, "only an instant"),
    (ITEMS, {"status": "maybe"}, 400, "covered, uncovered"),
    (ITEMS, {"parent": "99999"}, 400, "parent"),
    (ITEMS, {"model_type": "no_such_type"}, 400, "unknown model_type"),
    (ITEMS, {"colour": "red"}, 400, "unknown query parameter"),
    (ITEMS, {"f": "xml"}, 400, "json, html"),
    ("/ogc/collections/model-sites/items", {"level": "2"}, 400, "3, 4"),
    ("/ogc/collections/communes/items", {"status": "covered"}, 400, "unknown query parameter"),
    ("/ogc", {"limit": "5"}, 400, "unknown query parameter"),
    ("/ogc/collections", {"f": "pdf"}, 400, "json, html"),
    ("/ogc/collections/nope", {}, 404, "no collection 'nope'"),
    ("/ogc/collections/nope/items", {}, 404, "no collection 'nope'"),
    (ITEMS + "/no-such-village", {}, 404, "no feature 'no-such-village'"),
    (ITEMS + "/09496", {}, 404, "no feature"),  # a commune is no village
    ("/ogc/collections/communes/items/07057", {"datetime": "2025-07-01"}, 404, "no feature"),
]


@pytest.mark.parametrize(("url", "params", "status", "words"), BAD_REQUESTS)
def test_bad_input_is_an_ogc_error_that_says_what_to_fix(
    client: TestClient, url: str, params: dict[str, str], status: int, words: str
) -> None:
    response = client.get(url, params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == ("InvalidParameterValue" if status == 400 else "NotFound")
    assert words in body["description"]


def test_a_parameter_given_twice_is_refused(client: TestClient) -> None:
    response = client.get(ITEMS + "?limit=1&limit=2")
    assert response.status_code == 400
    assert "given 2 times" in response.json()["description"]


def _garbage(rng: random.Random) -> str:
    alphabet = string.printable + "đĐ\u0301\u00a0\u202e\ufeff€𝟘"
    pick = rng.random()
    if pick < 0.3:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    if pick < 0.6:  # numbers and separators, close to valid input
        parts = [rng.choice(["-", "", "+"]) + str(rng.uniform(-1e6, 1e6)) for _ in range(4)]
        return rng.choice([",", ";", " ", ",,"]).join(parts[: rng.randint(0, 7)])
    if pick < 0.8:
        return rng.choice(["", " ", "..", "/", "null", "0", "1e400", "NaN", "inf", "-0"])
    return f"{rng.randint(-9999, 99999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"


def test_random_garbage_in_any_parameter_is_never_a_500(client: TestClient) -> None:
    rng = random.Random(1207)
    names = ["bbox", "datetime", "limit", "offset", "f", "parent", "status", "model_type"]
    urls = [
        ITEMS,
        "/ogc/collections/gaps/items",
        "/ogc/collections/model-sites/items",
        "/ogc/collections/communes/items",
        ITEMS + "/07057-001",
        "/ogc/collections",
    ]
    statuses = set()
    for _ in range(300):
        params = {name: _garbage(rng) for name in rng.sample(names, rng.randint(1, 3))}
        response = client.get(rng.choice(urls), params=params)
        statuses.add(response.status_code)
        assert response.status_code in (200, 400, 404), (params, response.text)
        if response.status_code != 200:
            assert set(response.json()) == {"code", "description"}
    assert 400 in statuses


def test_hostile_accept_headers_still_answer(client: TestClient) -> None:
    for accept in ("", "*/*", "text/html;q=abc", ";;;,,,", "application/json;q=0", "x" * 4000):
        response = client.get("/ogc/collections", headers={"accept": accept})
        assert response.status_code == 200
