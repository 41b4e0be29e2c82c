"""The freed heap is handed back once the server is idle, never while requests run."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from pathlib import Path

import pyarrow as pa
from starlette.types import Message, Receive, Scope, Send

from geo_service.api.freed_heap import (
    MALLOC_TRIM,
    ReturnFreedHeapWhenIdle,
    limit_arenas,
    return_freed_heap,
)
from geo_service.app import create_app
from geo_service.settings import Settings


class _Trims:
    def __init__(self) -> None:
        self.count = 0
        self.done = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.done.set()


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.sleep(0.01)


async def _send(message: Message) -> None:
    return None


async def _receive() -> Message:
    return {"type": "http.request"}


def _request(middleware: ReturnFreedHeapWhenIdle, kind: str = "http") -> Awaitable[None]:
    return middleware({"type": kind}, _receive, _send)


def test_one_trim_after_a_burst_once_idle() -> None:
    trims = _Trims()
    middleware = ReturnFreedHeapWhenIdle(_answer, trim=trims, quiet_s=0.05)

    async def burst() -> None:
        await asyncio.gather(*(_request(middleware) for _ in range(8)))
        assert trims.count == 0  # not while answering, nor at once after
        await asyncio.sleep(0.2)

    asyncio.run(burst())
    assert trims.done.wait(5)
    assert trims.count == 1


def test_no_trim_while_requests_keep_coming() -> None:
    trims = _Trims()
    # Far longer than the gaps below: a loaded machine that stalls the loop for a while
    # must not make a steady client look idle.
    middleware = ReturnFreedHeapWhenIdle(_answer, trim=trims, quiet_s=2.0)

    async def steady() -> None:
        for _ in range(10):  # a new request before the quiet time has passed
            await _request(middleware)
            await asyncio.sleep(0.02)
        assert trims.count == 0

    asyncio.run(steady())


def test_lifespan_and_missing_trim_pass_through() -> None:
    trims = _Trims()
    middleware = ReturnFreedHeapWhenIdle(_answer, trim=trims, quiet_s=0.01)
    untrimmed = ReturnFreedHeapWhenIdle(_answer, trim=None, quiet_s=0.01)

    async def other() -> None:
        await _request(middleware, "lifespan")
        await _request(untrimmed)
        await asyncio.sleep(0.1)

    asyncio.run(other())
    assert trims.count == 0


def test_glibc_trim_and_arena_limit_run() -> None:
    # The test machines run glibc; elsewhere neither is done.
    assert MALLOC_TRIM is not None
    return_freed_heap()
    assert limit_arenas()


def test_the_app_puts_arrow_on_the_c_heap(tmp_path: Path) -> None:
    create_app(Settings(store_path=tmp_path / "store.gpkg"))
    assert pa.default_memory_pool().backend_name == "system"
