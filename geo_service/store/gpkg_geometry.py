"""GeoPackage geometry blobs (GPKG header + WKB), encoded and decoded in bulk.

Written by hand rather than through GDAL so that one SQLite transaction can cover the
feature table and every attribute table of an import.
"""

from __future__ import annotations

import struct

import numpy as np
import shapely
from numpy.typing import NDArray

SRS_WGS84 = 4326
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_LITTLE_ENDIAN = 0x01
_ENVELOPE_XY = 0x02
_EMPTY = 0x10


# GPKG header with an XY envelope, packed for a whole column at once (40 bytes per blob).
_HEADER = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs", "<i4"), ("envelope", "<f8", (4,))]
)


def encode_with_bounds(
    geometries: NDArray[np.object_], srs_id: int = SRS_WGS84
) -> tuple[list[bytearray | None], NDArray[np.float64]]:
    """GPKG blobs and each geometry's (minx, maxx, miny, maxy), NaN when missing or empty.

    Headers are packed with numpy for the whole column; only the final header + WKB
    concatenation is per row. The blobs are ``bytearray``: pysqlite binds those directly,
    while ``bytes`` go through its adapter lookup first, which costs more than making
    them.
    """
    geometries = np.asarray(geometries, dtype=object)
    present = ~shapely.is_missing(geometries)
    empty = present & shapely.is_empty(geometries)
    wkbs = _to_wkb(geometries)
    minx, miny, maxx, maxy = shapely.bounds(geometries).T
    envelopes = np.column_stack([minx, maxx, miny, maxy])
    header = np.zeros(len(geometries), dtype=_HEADER)
    header["magic"] = b"GP"
    header["flags"] = _LITTLE_ENDIAN | _ENVELOPE_XY
    header["srs"] = srs_id
    header["envelope"] = envelopes
    packed = header.tobytes()
    size = _HEADER.itemsize
    blobs: list[bytearray | None] = [
        bytearray(packed[i * size : (i + 1) * size]) + wkb if wkb is not None else None
        for i, wkb in enumerate(wkbs.tolist())
    ]
    empty_header = b"GP\x00" + bytes([_LITTLE_ENDIAN | _EMPTY]) + struct.pack("<i", srs_id)
    for index in np.flatnonzero(empty):
        blobs[index] = bytearray(empty_header) + wkbs[index]
    envelopes[~present | empty] = np.nan
    return blobs, envelopes


def _to_wkb(geometries: NDArray[np.object_]) -> NDArray[np.object_]:
    return np.asarray(shapely.to_wkb(geometries, byte_order=1, output_dimension=2), dtype=object)


def _wkb_offset(blob: bytes) -> int:
    envelope_kind = (blob[3] >> 1) & 0x07
    return 8 + _ENVELOPE_BYTES.get(envelope_kind, 0)


def decode(blobs: list[bytes | None]) -> NDArray[np.object_]:
    wkbs = np.asarray(
        [None if blob is None else blob[_wkb_offset(blob) :] for blob in blobs], dtype=object
    )
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


def extent(blobs: list[bytes | None]) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) over all blobs, None when none has a non-empty geometry."""
    found = [e for e in map(envelope, blobs) if e is not None]
    if not found:
        return None
    array = np.asarray(found, dtype=np.float64)
    return (
        float(array[:, 0].min()),
        float(array[:, 1].max()),
        float(array[:, 2].min()),
        float(array[:, 3].max()),
    )
