"""Conditional requests (RFC 9110 §13): the ETag and Last-Modified of an answer, and
whether the client's copy, named by ``If-None-Match`` or ``If-Modified-Since``, is current,
in which case an empty 304 answers.

Used by the coverage downloads (``downloads.validators_for``) and by the vector tiles
(``routes/tiles.py``); each decides what its ETag is made of.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import FastAPI, Request, Response

# An entity tag of an If-None-Match list, weak or strong. Matched rather than split on
# commas, as a comma may stand inside a tag's quotes.
_LISTED_TAG = re.compile(r'(?:W/)?("[^"]*")')


@dataclass(frozen=True)
class Validators:
    """The ETag and, when known, Last-Modified of one answer; ``vary`` names the request
    headers the answer's bytes depend on, which a 304 repeats."""

    etag: str
    last_modified: datetime | None = None
    vary: tuple[str, ...] = ()

    def headers(self) -> dict[str, str]:
        headers = {"ETag": self.etag}
        if self.last_modified is not None:
            headers["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        # A client may keep the answer but asks again before using it.
        headers["Cache-Control"] = "no-cache"
        if self.vary:
            headers["Vary"] = ", ".join(self.vary)
        return headers

    def not_modified(self, request_headers: Mapping[str, str]) -> bool:
        """Whether the client's copy is current (RFC 9110 §13.1): If-None-Match when it is
        sent, If-Modified-Since only when it is not. A header that cannot be read matches
        nothing, so the full answer is sent."""
        if_none_match = request_headers.get("if-none-match")
        if if_none_match is not None:
            return names(if_none_match, self.etag)
        if_modified_since = request_headers.get("if-modified-since")
        if if_modified_since is None or self.last_modified is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:  # RFC 850 and asctime forms carry no zone: they are GMT
            since = since.replace(tzinfo=UTC)
        return self.last_modified.replace(microsecond=0) <= since

    def not_modified_response(self) -> Response:
        """The empty 304 that tells the client its copy is current."""
        return Response(status_code=304, headers=self.headers())


def names(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match value names ``etag``: ``*``, or a listed tag equal to it by
    weak comparison (RFC 9110 §8.8.3.2: the ``W/`` marker is ignored on both sides)."""
    if any(member.strip() == "*" for member in if_none_match.split(",")):
        return True
    listed = {found.group(1) for found in _LISTED_TAG.finditer(if_none_match)}
    return etag.strip().removeprefix("W/") in listed


class NotModified(Exception):
    """The client's copy is current: answered 304 with the validators (``install``)."""

    def __init__(self, validators: Validators) -> None:
        super().__init__("not modified")
        self.validators = validators


def install(app: FastAPI) -> None:
    """Answer ``NotModified`` raised by a dependency with an empty 304."""

    @app.exception_handler(NotModified)
    async def not_modified(_: Request, exc: NotModified) -> Response:
        return exc.validators.not_modified_response()
