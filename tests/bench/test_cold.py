"""Benchmarks time a cold process: ``forget_memoised`` empties every cache of the service."""

from __future__ import annotations

from bench.cold import forget_memoised
from geo_service.ingest.readers import cells
from geo_service.text import names


def test_every_cache_of_the_service_is_emptied() -> None:
    names.analyse("Thôn Một")
    cells.fold_header("Tên thôn")
    assert names.analyse.cache_info().currsize > 0
    assert names.nfc.cache_info().currsize > 0
    assert cells.fold_header.cache_info().currsize > 0
    assert forget_memoised() >= 8
    for cache in (names.analyse, names.nfc, cells.fold_header):
        assert cache.cache_info().currsize == 0
