"""Paging of the /api lists: ``limit`` and ``offset``, and a ``next`` link while rows remain.

Every list answers one page: at most ``limit`` rows (``Settings.default_page_limit`` when
the request names none, ``Settings.max_feature_limit`` at most: more is a 400 saying so)
after skipping ``offset`` rows of the whole list, in its fixed order. The link to the
next page is in the body (``next``; in a FeatureCollection also ``links``, as OGC API
Features writes it) and in a ``Link: <…>; rel="next"`` header, which CSV downloads carry
too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, Response

from geo_service.api.deps import SettingsDep

LimitParam = Annotated[
    int | None,
    Query(ge=1, description="most rows of this page (default and maximum: server settings)"),
]
OffsetParam = Annotated[int, Query(ge=0, description="rows of the whole list to skip")]


@dataclass(frozen=True, slots=True)
class Paging:
    """One page of a list: ``limit`` rows after ``offset``; the request, for links, and
    the response FastAPI makes of a route's dict, for the ``Link`` header."""

    limit: int
    offset: int
    request: Request
    response: Response

    def rows(self, total: int) -> slice:
        """The positions of this page's rows in a whole list of ``total``."""
        return slice(min(self.offset, total), min(self.offset + self.limit, total))

    def next_url(self, total: int) -> str | None:
        """The URL of the next page, or None when this page ends the list."""
        following = self.offset + self.limit
        if following >= total:
            return None
        return str(self.request.url.include_query_params(offset=following, limit=self.limit))

    def body(self, total: int) -> dict[str, Any]:
        """What a JSON list carries about its page (its ``Link`` header is set with it)."""
        self.response.headers.update(self.headers(total))
        return {"limit": self.limit, "offset": self.offset, "next": self.next_url(total)}

    def headers(self, total: int) -> dict[str, str]:
        url = self.next_url(total)
        return {} if url is None else {"Link": f'<{url}>; rel="next"'}


def paging(
    request: Request,
    response: Response,
    settings: SettingsDep,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
) -> Paging:
    """The page a request asks for (a FastAPI dependency)."""
    maximum = settings.max_feature_limit
    if limit is not None and limit > maximum:
        raise HTTPException(
            400, f"limit {limit} is over this server's maximum of {maximum}; page with offset"
        )
    if limit is None:
        whole_file = request.query_params.get("format") == "csv" or _true(
            request.query_params.get("download")
        )
        limit = maximum if whole_file else min(settings.default_page_limit, maximum)
    return Paging(limit, offset, request, response)


def _true(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "yes", "on"}


PageAsked = Annotated[Paging, Depends(paging)]
