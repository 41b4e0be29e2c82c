"""``/tiles``: Mapbox Vector Tiles of coverage (``/tiles/{collection}/{z}/{x}/{y}``).

What each collection draws and from which zoom: ``api/tile_collections.py``.

A tile is cached in process memory per store generation and day (``TileCache``): an
import or an undo changes the generation, so the next request renders afresh, and the
ETag, made of the generation, the day and the service's version, tells a client whether
its copy is still good (``If-None-Match`` → 304, as ``api/validators.py`` matches it).
Tiles are sent with ``Cache-Control: no-cache``: a client may keep them, but asks again
before using one.

A tile with no feature is answered ``204 No Content`` with an empty body (as martin does),
which map clients treat as an empty tile; a tile outside the grid, an unknown collection
or a coordinate that is not a whole number is a 400 or 404 with a message.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from typing import Annotated, Any

from cachetools import LRUCache
from fastapi import APIRouter, HTTPException, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from geo_service import __version__
from geo_service.api.deps import get_coverage_cache, get_settings, get_store
from geo_service.api.params import AsOf, day
from geo_service.api.tile_collections import COLLECTIONS, TileAttributes, describe, render_tile
from geo_service.api.validators import Validators
from geo_service.api.views import CoverageSource, coverage_source
from geo_service.output.vector_tiles import MAX_ZOOM, MEDIA_TYPE, Tile, TileOutOfRange

router = APIRouter(prefix="/tiles", tags=["tiles"])

# Attribute tables kept: today's and one other day (a map looking at a past date).
ATTRIBUTE_DAYS_KEPT = 2
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
Coordinate = Annotated[str, Path(description="a whole number (the XYZ scheme, y from the north)")]


class TileCache:
    """Tiles (bytes, up to ``max_bytes`` in all, least recently used dropped first) and the
    attribute tables they are drawn with, keyed by store generation and day.

    The attributes come from the national coverage view the API keeps (``CoverageCache``),
    so tiles and tables share one computation. Once a newer generation is asked for,
    everything kept for older ones goes: after an import their keys are never asked again,
    and their attribute tables would hold a second country's coverage. Thread-safe: sync
    routes run in a thread pool.
    """

    def __init__(self, max_bytes: int) -> None:
        # An empty tile counts one byte, so that the bound holds them too.
        self._tiles: LRUCache[tuple[Any, ...], bytes] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda tile: max(len(tile), 1)
        )
        self._attributes: LRUCache[tuple[int, date], TileAttributes] = LRUCache(
            maxsize=ATTRIBUTE_DAYS_KEPT
        )
        self._generation = 0
        self._lock = threading.Lock()

    def cached(self, key: tuple[int, date, str, Tile]) -> bytes | None:
        """The kept tile for ``key`` (generation, day, collection, tile), or None."""
        with self._lock:
            self._forget_older_than(key[0])
            return self._tiles.get(key)

    def tile(self, source: CoverageSource, key: tuple[int, date, str, Tile]) -> bytes:
        """The cached tile for ``key`` (generation, day, collection, tile), rendered if new."""
        cached = self.cached(key)
        if cached is not None:
            return cached
        generation, when, name, tile = key
        attributes = self.attributes(source, generation, when)
        rendered = render_tile(source.store, attributes, COLLECTIONS[name], tile, when)
        with self._lock:
            if len(rendered) <= self._tiles.maxsize and generation >= self._generation:
                self._tiles[key] = rendered
        return rendered

    def attributes(self, source: CoverageSource, generation: int, when: date) -> TileAttributes:
        key = (generation, when)
        with self._lock:
            found = self._attributes.get(key)
        if found is None:
            found = TileAttributes.of(source.view(when, None))
            with self._lock:
                if generation >= self._generation:
                    self._attributes[key] = found
        return found

    def generations(self) -> set[int]:
        """The store generations of what is kept."""
        with self._lock:
            return {key[0] for key in (*self._tiles.keys(), *self._attributes.keys())}

    def _forget_older_than(self, generation: int) -> None:
        if generation > self._generation:
            self._generation = generation
            self._tiles.clear()
            self._attributes.clear()


def tile_cache(request: Request) -> TileCache:
    cache: TileCache = request.app.state.tile_cache
    return cache


@router.get("", summary="The tile collections, the zoom each starts at, and their attributes")
def list_collections(request: Request) -> dict[str, Any]:
    base = str(request.url_for("get_tile", collection="{collection}", z="{z}", x="{x}", y="{y}"))
    template = base.replace("%7B", "{").replace("%7D", "}")
    return {
        "tiles": template,
        "media_type": MEDIA_TYPE,
        "max_zoom": MAX_ZOOM,
        "collections": describe(),
    }


@router.get(
    "/{collection}/{z}/{x}/{y}",
    summary="A Mapbox Vector Tile of one collection (204 when the tile is empty)",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "the tile"},
        204: {"description": "no feature in this tile"},
        304: {"description": "the client's copy (If-None-Match) is current"},
        400: {"description": "a coordinate is not a whole number or is outside the grid"},
        404: {"description": "no such collection"},
    },
)
async def get_tile(
    request: Request,
    collection: str,
    z: Coordinate,
    x: Coordinate,
    y: Coordinate,
    as_of: AsOf = None,
) -> Response:
    # A coroutine without dependencies: a kept tile is answered on the event loop, and
    # only the store's generation (a read of the file) and a new tile's drawing go to the
    # thread pool; sync dependencies would each cost a trip there.
    if collection not in COLLECTIONS:
        raise HTTPException(
            404, f"no tile collection '{collection}'; collections: {', '.join(COLLECTIONS)}"
        )
    tile = _tile(z, x, y)
    when = day(as_of)
    source = coverage_source(get_store(request), get_settings(request), get_coverage_cache(request))
    generation = await run_in_threadpool(source.store.generation)
    validators = Validators(f'"{generation}-{when.isoformat()}-{__version__}"')
    if validators.not_modified(request.headers):
        return validators.not_modified_response()
    cache = tile_cache(request)
    key = (generation, when, collection, tile)
    content = cache.cached(key)
    if content is None:
        content = await run_in_threadpool(cache.tile, source, key)
    if not content:
        return Response(status_code=204, headers=validators.headers())
    return Response(content, media_type=MEDIA_TYPE, headers=validators.headers())


def _tile(z: str, x: str, y: str) -> Tile:
    if not all(_WHOLE_NUMBER.fullmatch(value) for value in (z, x, y)):
        raise HTTPException(400, f"z, x and y must be whole numbers; got z={z!r}, x={x!r}, y={y!r}")
    try:
        return Tile(int(z), int(x), int(y))
    except TileOutOfRange as exc:
        raise HTTPException(400, str(exc)) from None
