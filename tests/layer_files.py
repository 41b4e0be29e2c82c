"""A frame written as a commune's GIS or Google Earth writes it: GeoJSON, GeoPackage,
Shapefile (loose or zipped), KML or KMZ."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd

DRIVERS = {".geojson": "GeoJSON", ".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".kml": "KML"}


def write_layer(frame: gpd.GeoDataFrame, folder: Path, stem: str, suffix: str) -> Path:
    """``frame`` as ``folder/stem + suffix``; ``.kmz`` and ``.zip`` hold a KML / Shapefile."""
    if suffix == ".kmz":
        kml = write_layer(frame, folder, stem, ".kml")
        kmz = folder / f"{stem}.kmz"
        with zipfile.ZipFile(kmz, "w") as archive:
            archive.write(kml, "doc.kml")
        return kmz
    if suffix == ".zip":
        shapes = folder / "shp"
        shapes.mkdir()
        write_layer(frame, shapes, stem, ".shp")
        archive_path = folder / f"{stem}.zip"
        with zipfile.ZipFile(archive_path, "w") as archive:
            for part in shapes.iterdir():
                archive.write(part, part.name)
        return archive_path
    path = folder / f"{stem}{suffix}"
    frame.to_file(path, driver=DRIVERS[suffix], engine="pyogrio")
    return path
