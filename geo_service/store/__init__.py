"""Storage: one interface (``Store``), an embedded GeoPackage backend, PostGIS to come."""

from geo_service.store.base import (
    ImportBatch,
    ImportSource,
    Store,
    StoreBusy,
    StoreChanged,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
    UnitQuery,
)

__all__ = [
    "ImportBatch",
    "ImportSource",
    "Store",
    "StoreBusy",
    "StoreChanged",
    "StoreError",
    "StoreFull",
    "StoreMissing",
    "StoreReadOnly",
    "UnitQuery",
    "open_store",
]


def open_store(location: str, *, must_exist: bool = False) -> Store:
    """Open the store named by ``location``: a ``.gpkg`` path (embedded default).

    Opening writes nothing. Commands that only read pass ``must_exist=True``: a store that
    has not been created then raises ``StoreMissing`` instead of reading as empty.
    A ``postgresql://`` URL will select the PostGIS backend once it exists.
    """
    if location.startswith(("postgres://", "postgresql://")):
        raise NotImplementedError("the PostGIS store is not built yet; use a .gpkg path")
    from geo_service.store.geopackage import GeoPackageStore

    store = GeoPackageStore(location)
    if must_exist and not store.exists():
        raise StoreMissing(location)
    return store
