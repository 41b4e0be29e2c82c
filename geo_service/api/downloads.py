"""How the coverage tables are sent: streamed, gzip-compressed when the client accepts it,
and validated, so that a repeated download is answered 304 before anything is computed.

- The body is an iterator of byte pieces (``serialise.feature_collection_chunks``,
  ``serialise.csv_chunks``): a national download never exists whole in the server.
- gzip is applied piece by piece with one ``zlib`` stream, only to these downloads (a
  middleware would also take the map page and buffer nothing less).
- The validators come from the store's state: ``Store.generation()`` (it changes with
  every import and undo) and the time of its latest change in the import log. The ETag
  also covers what else shapes the answer: the service's version, the coverage policy,
  the day asked (today when none is) and the request's path and parameters. It is weak
  (``W/"…"``), as the same content is sent compressed or not. ``Cache-Control: no-cache``
  lets a client keep a download but makes it ask again each time; the 304 costs two
  small reads of the store.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime, parsedate_to_datetime

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from geo_service import __version__
from geo_service.api.serialise import disposition
from geo_service.store import Store

# zlib's level 6 (gzip's default): most of level 9's reduction at a fraction of its time.
GZIP_LEVEL = 6
GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer around the deflate stream


@dataclass(frozen=True)
class Validators:
    """The ETag and Last-Modified of one answer."""

    etag: str
    last_modified: datetime

    def headers(self) -> dict[str, str]:
        return {
            "ETag": self.etag,
            "Last-Modified": format_datetime(self.last_modified, usegmt=True),
            "Cache-Control": "no-cache",
            "Vary": "Accept-Encoding",
        }

    def not_modified(self, request_headers: Mapping[str, str]) -> bool:
        """Whether the client's copy is current (RFC 9110 §13.1): If-None-Match when it is
        sent, If-Modified-Since only when it is not. A header that cannot be read matches
        nothing, so the full answer is sent."""
        if_none_match = request_headers.get("if-none-match")
        if if_none_match is not None:
            wanted = {_opaque(tag) for tag in if_none_match.split(",")}
            return "*" in wanted or _opaque(self.etag) in wanted
        if_modified_since = request_headers.get("if-modified-since")
        if if_modified_since is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:  # RFC 850 and asctime forms carry no zone: they are GMT
            since = since.replace(tzinfo=UTC)
        return self.last_modified.replace(microsecond=0) <= since


class NotModified(Exception):
    """The client's copy is current: answered 304 with the validators (``install``)."""

    def __init__(self, validators: Validators) -> None:
        super().__init__("not modified")
        self.validators = validators


def install(app: FastAPI) -> None:
    """Answer ``NotModified`` raised by a dependency with an empty 304."""

    @app.exception_handler(NotModified)
    async def not_modified(_: Request, exc: NotModified) -> Response:
        return Response(status_code=304, headers=exc.validators.headers())


def validators_for(
    request: Request, store: Store, *, policy: object, as_of: date, started: datetime
) -> Validators:
    """The validators of ``request``'s answer from ``store`` as it is now; raises
    ``NotModified`` when the client already holds that answer."""
    generation = store.generation()
    changed = latest_change(store)
    asked_day = "as_of" in request.query_params
    identity = [
        __version__,
        generation,
        changed.isoformat() if changed else None,
        policy,
        as_of.isoformat(),
        request.url.path,
        sorted(request.query_params.multi_items()),
    ]
    digest = hashlib.sha256(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)).hexdigest()
    # The answer is also new when the server started (its policy may have changed) and,
    # for "today", when the day began.
    moments = [started] + ([changed] if changed else [])
    if not asked_day:
        moments.append(datetime.combine(as_of, time()).astimezone(UTC))
    validators = Validators(f'W/"{digest[:32]}"', max(moments))
    if validators.not_modified(request.headers):
        raise NotModified(validators)
    return validators


def latest_change(store: Store) -> datetime | None:
    """When the store last changed: its latest import or undo, from the import log."""
    log = store.imports()
    moments = [m for column in ("at", "undone_at") for m in log[column] if isinstance(m, datetime)]
    return max(moments, default=None)


def accepts_gzip(request: Request) -> bool:
    """Whether ``Accept-Encoding`` gives gzip (by name, or else by ``*``) a weight above 0."""
    weights = {}
    for entry in request.headers.get("accept-encoding", "").split(","):
        coding, _, parameters = entry.partition(";")
        name, _, weight = parameters.strip().partition("=")
        try:
            weights[coding.strip().lower()] = float(weight) if name.strip() == "q" else 1.0
        except ValueError:
            weights[coding.strip().lower()] = 0.0
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def gzipped(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces`` as one gzip stream, compressed as they come."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_WBITS)
    for piece in pieces:
        compressed = compressor.compress(piece)
        if compressed:
            yield compressed
    yield compressor.flush()


def streamed(
    request: Request,
    pieces: Iterable[bytes],
    *,
    media_type: str,
    filename: str,
    inline: bool,
    validators: Validators,
) -> StreamingResponse:
    """``pieces`` sent as they are made (gzip-compressed when the client accepts it),
    named ``filename``, with the validators."""
    headers = validators.headers() | {"Content-Disposition": disposition(filename, inline=inline)}
    if accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        pieces = gzipped(pieces)
    # A plain iterator: Starlette draws each piece in its thread pool, off the event loop.
    return StreamingResponse(iter(pieces), media_type=media_type, headers=headers)


def _opaque(tag: str) -> str:
    """An entity tag without its weak marker: If-None-Match compares weakly."""
    return tag.strip().removeprefix("W/")
