"""Python's cyclic garbage collector, paused while an import runs.

An import builds hundreds of thousands of short-lived containers (rows, tuples, lists of
names). Each burst makes the collector walk the young objects again, and now and then
every object of the process: measured on the national village import, 40–50 collections
cost 0.05–0.15 s of a 2 s import, and found next to nothing to free (reference counting
frees almost everything; the few cycles wait until the import ends).

A register does the same: a few objects per cell, all alive to the end; collector passes
over the unit tree and the frames cost a third of reading a 10,000-row register.

The pause sits on the entry points (``pipeline.import_*``, ``pipeline.derive_villages``),
not inside the readers they call. It is process-wide, so it is counted: concurrent
imports (API uploads on worker threads) keep it until the last one ends, and a collector
that was already off stays off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_enable_after = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Paused inside (also as a decorator: ``@collection_paused()``)."""
    global _holders, _enable_after
    with _lock:
        if _holders == 0:
            _enable_after = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _enable_after:
                gc.enable()
