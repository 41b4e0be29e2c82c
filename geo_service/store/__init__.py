"""Storage: one interface (``Store``), an embedded GeoPackage backend, PostGIS to come."""

from geo_service.store.base import ImportBatch, ImportSource, Store, UnitQuery

__all__ = ["ImportBatch", "ImportSource", "Store", "UnitQuery", "open_store"]


def open_store(location: str) -> Store:
    """Open the store named by ``location``: a ``.gpkg`` path (embedded default).

    A ``postgresql://`` URL will select the PostGIS backend once it exists.
    """
    if location.startswith(("postgres://", "postgresql://")):
        raise NotImplementedError("the PostGIS store is not built yet; use a .gpkg path")
    from geo_service.store.geopackage import GeoPackageStore

    return GeoPackageStore(location)
