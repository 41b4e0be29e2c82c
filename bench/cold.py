"""Every timed run starts as a fresh ``geo-service`` process would: nothing memoised."""

from __future__ import annotations

import sys


def forget_memoised() -> int:
    """Clear every ``functools`` cache of the service's modules (names analysed, cells
    parsed, CRS transformers); return how many were cleared.

    Without this, the runs after the first find the file's names already analysed and
    measure a warm process that no user's import ever runs in.
    """
    cleared = 0
    for name, module in list(sys.modules.items()):
        if name == "geo_service" or name.startswith("geo_service."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
                    cleared += 1
    return cleared
