"""Units' geometry as RFC 7946 GeoJSON text, encoded once per store generation.

A unit's stored geometry changes only with an import or an undo, while its coverage
changes with the policy and the day. So the text every GeoJSON answer writes for a unit
(rounded and wound by ``output.geometry``) is kept per store generation, keyed by the
unit's natural key ``(code, valid_from)``, and read again by every answer that shows that
unit: a national download, a commune's page, an OGC item. Only units some answer has
shown are encoded, and only the rows an answer asks for and does not find are read
from the store.

The texts of one generation are kept up to ``max_bytes`` (text and bookkeeping counted);
beyond it new texts are written for the answer and not kept. A new generation drops
them all. As in ``coverage.derived``, texts are kept only if the generation read after
reading them is the one read before, so none of another store state is kept under a
generation. Thread-safe: sync routes run in a thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import date
from functools import partial

import pandas as pd

from geo_service.output.geometry import geojson_texts
from geo_service.store import Store, UnitQuery

# What one kept text costs besides its characters: the str and key objects and the
# dict's slot (measured with sys.getsizeof / tracemalloc on CPython 3.11, rounded up).
ENTRY_OVERHEAD_BYTES = 250
UnitKey = tuple[str, Hashable]


class GeometryTexts:
    """The GeoJSON geometry text of units, kept per store generation up to ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._generation: int | None = None
        self._texts: dict[UnitKey, str | None] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.encoded = 0  # how many texts were encoded (not found kept)

    def reader(self, store: Store, as_of: date) -> Callable[[pd.DataFrame], list[str | None]]:
        """``of`` for one answer: the store's generation is read once, not per piece."""
        return partial(self.of, store, as_of, generation=store.generation())

    def of(
        self, store: Store, as_of: date, units: pd.DataFrame, *, generation: int | None = None
    ) -> list[str | None]:
        """The GeoJSON text of each row of ``units`` (units of the tree of ``as_of``, with
        their ``code`` and ``valid_from``), in order; None where a unit has no geometry.
        ``generation``: the store's, when the caller has just read it."""
        keys = unit_keys(units)
        if generation is None:
            generation = store.generation()
        with self._lock:
            if self._generation is None or generation > self._generation:
                self._forget(generation)
            # A request that read an older generation than the kept one reads its own.
            kept = self._texts if generation == self._generation else {}
            missing = [key for key in keys if key not in kept]
            found = {key: kept[key] for key in keys if key in kept}
        if missing:
            read = self._read(store, as_of, missing)
            self._keep(store, generation, read)
            found |= read
        return [found[key] for key in keys]

    def _read(self, store: Store, as_of: date, keys: list[UnitKey]) -> dict[UnitKey, str | None]:
        """The texts of ``keys``, encoded from the geometry read for their codes."""
        query = UnitQuery(
            as_of=as_of, codes=tuple(code for code, _ in keys), columns=("code", "valid_from")
        )
        rows = store.units(query)
        texts = geojson_texts(rows.geometry.values)
        read: dict[UnitKey, str | None] = dict.fromkeys(keys)
        read.update(zip(unit_keys(rows), texts, strict=True))
        with self._lock:
            self.encoded += len(rows)
        return read

    def _keep(self, store: Store, generation: int, read: dict[UnitKey, str | None]) -> None:
        if store.generation() != generation:
            return
        with self._lock:
            if self._generation != generation:
                return
            for key, text in read.items():
                size = len(text or "") + ENTRY_OVERHEAD_BYTES
                if self._bytes + size > self.max_bytes:
                    return
                if key not in self._texts:
                    self._texts[key] = text
                    self._bytes += size

    def _forget(self, generation: int) -> None:
        self._generation = generation
        self._texts = {}
        self._bytes = 0

    @property
    def kept_bytes(self) -> int:
        with self._lock:
            return self._bytes


def unit_keys(units: pd.DataFrame) -> list[UnitKey]:
    """The natural key ``(code, valid_from)`` of each row; a missing start is None."""
    starts = units["valid_from"].to_numpy(dtype=object, copy=True)
    starts[pd.isna(starts)] = None
    return list(zip(units["code"].tolist(), starts.tolist(), strict=True))
