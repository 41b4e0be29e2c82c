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
  lets a client keep a download but makes it ask again each time; the 304 (matched by
  ``api/validators.py``) costs two small reads of the store.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time

import orjson
from fastapi import Request
from fastapi.responses import StreamingResponse

from geo_service import __version__
from geo_service.api.serialise import disposition
from geo_service.api.validators import NotModified, Validators
from geo_service.store import Store

# zlib's level 6 (gzip's default): most of level 9's reduction at a fraction of its time.
GZIP_LEVEL = 6
GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer around the deflate stream


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
    validators = Validators(f'W/"{digest[:32]}"', max(moments), vary=("Accept-Encoding",))
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
