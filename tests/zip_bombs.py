"""Zips whose headers lie about their members, as an attacker crafts them."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

# Signature, then the offsets of CRC-32, the uncompressed size and the file name, in a
# local header and in a central-directory record.
_HEADERS = ((b"PK\x03\x04", 14, 22, 30), (b"PK\x01\x02", 16, 24, 46))


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    """An honest zip (Deflate), its headers true."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def declare_size(path: Path, member: str, size: int, *, forge_crc: bool = False) -> Path:
    """Make every header of ``member`` claim ``size`` uncompressed bytes.

    With ``forge_crc`` the CRC-32 is that of the first ``size`` bytes too, so a reader that
    stops at the declared size (Python's zipfile) finds nothing wrong.
    """
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        content = archive.read(member)
    crc = zlib.crc32(content[:size]) if forge_crc else zlib.crc32(content)
    name = member.encode("utf-8")
    for signature, crc_at, size_at, name_at in _HEADERS:
        start = data.find(signature)
        while start != -1:
            if data[start + name_at : start + name_at + len(name)] == name:
                data[start + crc_at : start + crc_at + 4] = struct.pack("<I", crc)
                data[start + size_at : start + size_at + 4] = struct.pack("<I", size)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    return path


def kml_document(padding: int) -> bytes:
    """A KML commune whose description holds ``padding`` spaces (they deflate to nothing)."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Placemark><name>Xã Thử</name><ExtendedData>"
        '<Data name="ma_xa"><value>99901</value></Data></ExtendedData><description>'
    )
    tail = (
        "</description><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        "105.1,21.1 105.2,21.1 105.2,21.2 105.1,21.1</coordinates></LinearRing>"
        "</outerBoundaryIs></Polygon></Placemark></Document></kml>\n"
    )
    return head.encode("utf-8") + b" " * padding + tail.encode("utf-8")


def incompressible_text(size: int) -> bytes:
    """Text that deflates by less than half, so the ratio check alone cannot refuse it."""
    digits = b"".join(
        str(zlib.crc32(i.to_bytes(4, "little"))).encode() for i in range(size // 8 + 1)
    )
    return digits[:size]
