"""If-None-Match as RFC 9110 reads it (§13.1.2, §8.8.3.2): ``*`` or a list of entity tags,
compared weakly; a comma may stand inside a tag's quotes."""

from __future__ import annotations

import pytest

from geo_service.api.validators import names


@pytest.mark.parametrize(
    ("if_none_match", "etag", "named"),
    [
        ('"a"', '"a"', True),
        ('W/"a"', '"a"', True),
        ('"a"', 'W/"a"', True),
        ('"b", W/"a"', '"a"', True),
        ("*", 'W/"a"', True),
        (" * ", '"a"', True),
        ('"a,b"', '"a,b"', True),
        ('"a,b"', '"a"', False),
        ('"b"', '"a"', False),
        ("a", '"a"', False),
        ('"', '"a"', False),
        ("", '"a"', False),
        ('"*"', '"a"', False),  # a tag that reads *, not the wildcard
    ],
)
def test_if_none_match_names_an_etag(if_none_match: str, etag: str, named: bool) -> None:
    assert names(if_none_match, etag) is named
