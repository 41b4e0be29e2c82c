"""Keep the server's memory near what it holds: few allocator arenas, and the memory a
burst of requests freed given back to the system once the server is idle.

A national computation, a download of the country or a few hundred tiles drawn on
FastAPI's thread pool allocate and free hundreds of MB. Python frees it, but glibc's
allocator keeps freed pages in its heaps (one arena per thread that allocated), so the
server's resident memory stays near the peak of its largest burst for as long as it runs.
``malloc_trim(0)`` hands every arena's free pages back (``madvise``), keeping what is
still used, the kept views and caches included; Arrow's memory pool (the text columns'
allocator) is asked to do the same.

Why after a quiet moment rather than after each large computation: the bursts come from
many paths (coverage views, downloads, tiles, OGC pages) and from many small requests at
once (tiles), and a trim walks every arena, so one trim when the server has had no
request in flight for ``QUIET_S`` covers them all, costs nothing while requests keep
coming, and runs off the event loop.

Why fewer arenas too: glibc gives each thread that allocates its own arena, up to eight
per core, and FastAPI runs sync routes on a pool of up to 40 threads. Each arena keeps the
long-lived blocks allocated in it (a cached tile, a kept table's pieces) scattered among
freed ones, and a page holding any of them cannot be given back, so many half-empty
arenas stay resident after a trim. ``create_app`` limits them to ``ARENAS`` per process
(``mallopt(M_ARENA_MAX)``, what ``MALLOC_ARENA_MAX`` sets, done in the process itself so
that every way of starting the app gets it, each worker included). Threads then share
arenas, which costs little here: most of a request's work holds the GIL anyway.

Why Arrow allocates from the C heap as well: Arrow's default pool (mimalloc) keeps a heap
per thread that allocated, and the text columns of every table a tile or a page reads are
Arrow arrays made on the thread pool's threads. Asked to release, the pool gives back
little of what those threads' heaps hold: a round of tiles at eight connections left about
100 MB resident that the C heap, trimmed, gives back (``create_app`` sets
``pyarrow.system_memory_pool()`` as the default, which is what
``ARROW_DEFAULT_MEMORY_POOL=system`` does at start-up).

Where the C library is not glibc, neither is done and only Arrow's pool is asked.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import sys
import threading
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

# Long enough that a client's next request on a keep-alive connection usually comes first
# (so a busy server never trims), short enough that memory comes back soon after a burst.
QUIET_S = 0.5


def _malloc_trim() -> Callable[[], object] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


MALLOC_TRIM = _malloc_trim()
M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` glibc arenas from now on (threads that already have one keep it);
    False where that cannot be set."""
    if MALLOC_TRIM is None:  # not glibc: mallopt's options differ or it is absent
        return False
    name = ctypes.util.find_library("c")
    assert name is not None
    mallopt = ctypes.CDLL(name).mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))


def arrow_on_the_c_heap() -> None:
    """Arrow's arrays allocated from the C heap (``malloc``), which the idle trim hands
    back, rather than from Arrow's own pool."""
    import pyarrow as pa  # here, not at import: the app imports this module's middleware

    pa.set_memory_pool(pa.system_memory_pool())


def return_freed_heap() -> None:
    """Hand the C heap's free pages back, and those of Arrow's own allocator (the text
    columns are Arrow-backed; its pool keeps freed memory for reuse too)."""
    if MALLOC_TRIM is not None:
        MALLOC_TRIM()
    pa = sys.modules.get("pyarrow")  # not imported for this: then it holds nothing
    if pa is not None:
        pa.default_memory_pool().release_unused()


class ReturnFreedHeapWhenIdle:
    """ASGI middleware: ``QUIET_S`` after the last HTTP request in flight has finished, and
    no new one started, the freed heap is returned by ``trim`` in a thread of its own."""

    def __init__(
        self,
        app: ASGIApp,
        trim: Callable[[], object] | None = return_freed_heap,
        quiet_s: float = QUIET_S,
    ) -> None:
        self.app = app
        self.trim = trim
        self.quiet_s = quiet_s
        self.trims = 0  # how many trims have run
        # Touched only on the event loop, so no lock.
        self._in_flight = 0
        self._pending: asyncio.TimerHandle | None = None
        self._trimming = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.trim is None:
            await self.app(scope, receive, send)
            return
        self._in_flight += 1
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        try:
            await self.app(scope, receive, send)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                loop = asyncio.get_running_loop()
                self._pending = loop.call_later(self.quiet_s, self._start_trim)

    def _start_trim(self) -> None:
        self._pending = None
        if self._in_flight == 0 and not self._trimming.locked():
            threading.Thread(target=self._run_trim, name="malloc-trim", daemon=True).start()

    def _run_trim(self) -> None:
        with self._trimming:
            assert self.trim is not None
            self.trim()
            self.trims += 1
