"""GeoPackage geometry blobs (GPKG header + WKB), encoded and decoded in bulk.

Written by hand rather than through GDAL so that one SQLite transaction can cover the
feature table and every attribute table of an import.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

SRS_WGS84 = 4326
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_LITTLE_ENDIAN = 0x01
_ENVELOPE_XY = 0x02
_EMPTY = 0x10


def encode(geometries: NDArray[np.object_], srs_id: int = SRS_WGS84) -> list[bytes | None]:
    """GPKG blobs with an XY envelope (what the R-tree triggers read); None stays None."""
    present = ~shapely.is_missing(geometries)
    wkbs = shapely.to_wkb(geometries, byte_order=1, output_dimension=2)
    bounds = shapely.bounds(geometries)
    empty = shapely.is_empty(geometries)
    blobs: list[bytes | None] = []
    for wkb, (minx, miny, maxx, maxy), is_present, is_empty in zip(
        wkbs, bounds, present, empty, strict=True
    ):
        if not is_present:
            blobs.append(None)
        elif is_empty:
            header = b"GP\x00" + bytes([_LITTLE_ENDIAN | _EMPTY]) + struct.pack("<i", srs_id)
            blobs.append(header + wkb)
        else:
            header = (
                b"GP\x00"
                + bytes([_LITTLE_ENDIAN | _ENVELOPE_XY])
                + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy)
            )
            blobs.append(header + wkb)
    return blobs


def as_multipolygons(geometries: Any) -> NDArray[np.object_]:
    """Promote Polygons so the layer holds only its declared MULTIPOLYGON type."""
    array = np.asarray(geometries, dtype=object)
    single = shapely.get_type_id(array) == shapely.GeometryType.POLYGON
    if single.any():
        array = array.copy()
        array[single] = shapely.multipolygons(array[single][:, np.newaxis])
    return array


def _wkb_offset(blob: bytes) -> int:
    envelope_kind = (blob[3] >> 1) & 0x07
    return 8 + _ENVELOPE_BYTES.get(envelope_kind, 0)


def decode(blobs: list[bytes | None]) -> NDArray[np.object_]:
    wkbs = [None if blob is None else blob[_wkb_offset(blob) :] for blob in blobs]
    return np.asarray(shapely.from_wkb(wkbs), dtype=object)


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) from the header, or from the WKB when the header has none."""
    if blob is None or blob[3] & _EMPTY:
        return None
    if (blob[3] >> 1) & 0x07:
        endian = "<" if blob[3] & _LITTLE_ENDIAN else ">"
        minx, maxx, miny, maxy = struct.unpack(endian + "4d", blob[8:40])
        return minx, maxx, miny, maxy
    geometry = shapely.from_wkb(blob[_wkb_offset(blob) :])
    if geometry.is_empty:
        return None
    minx, miny, maxx, maxy = geometry.bounds
    return minx, maxx, miny, maxy


def is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return 1 if envelope(blob) is None else 0
