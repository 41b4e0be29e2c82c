"""Zips (KMZ, zipped Shapefiles, XLSX) are measured by inflating them, not by their word.

A zip's headers say how large each member is, but nothing holds the compressed stream to
that: GDAL's /vsizip/ inflates a member to its real end, so a KMZ declaring 100 kB that
inflates to 2 GB once took the server's memory with it. So, before any reader opens an
archive, every member is inflated here a chunk at a time through a counter, and the
archive is refused as soon as a member gives more bytes than its header declares. The
declared sizes, checked against the limit first, are then true, and no reader can inflate
more than the limit. Memory stays at one chunk whatever the archive holds.

The limit is ``Settings.max_unzipped_bytes``: the API applies it to each upload
(``unzipped_limit``), the CLI to its command (``apply_unzipped_limit``).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import BinaryIO, NoReturn

from geo_service.ingest.report import reject
from geo_service.scoped import scoped

DEFAULT_MAX_UNZIPPED_BYTES = 1 << 30
MAX_ZIP_RATIO = 100
READ_CHUNK = 1 << 16
INFLATE_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name and extra lengths
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x1
_limit: ContextVar[int] = ContextVar("unzipped_limit", default=DEFAULT_MAX_UNZIPPED_BYTES)


def apply_unzipped_limit(limit: int) -> None:
    """From now on in this context (a CLI command's process), archives may inflate to at
    most ``limit`` bytes in all."""
    _limit.set(limit)


def unzipped_limit(limit: int) -> AbstractContextManager[None]:
    """Within this block, archives may inflate to at most ``limit`` bytes in all."""
    return scoped(_limit, limit)


def zip_members(
    archive: zipfile.ZipFile,
    name: str,
    *,
    at_most: int | None = None,
    max_ratio: int | None = MAX_ZIP_RATIO,
) -> list[zipfile.ZipInfo]:
    """The archive's files (no folders, no macOS resource forks), once every member has
    been inflated and found to be what its header says; zip bombs are refused.

    ``at_most`` lowers the configured limit for a kind of file; ``max_ratio`` (inflated
    to compressed) refuses the obvious bombs early, where no real file comes near it.
    """
    everything = archive.infolist()
    limit = min(_limit.get(), at_most or _limit.get())
    unzipped = sum(info.file_size for info in everything)
    compressed = sum(info.compress_size for info in everything)
    too_dense = max_ratio is not None and unzipped > max_ratio * max(compressed, 1)
    if unzipped > limit or too_dense:
        _refuse(
            name,
            f"refused: the zip expands to {unzipped:,} bytes from {compressed:,} "
            f"(limits: {limit:,} bytes" + (f", ratio {max_ratio})" if max_ratio else ")"),
        )
    if archive.filename is None:
        raise ValueError("zip_members needs an archive opened from a file")
    with open(archive.filename, "rb") as raw:
        for info in everything:
            _check_member(raw, info, name)
    return [
        info
        for info in everything
        if not info.is_dir() and not info.filename.startswith("__MACOSX/")
    ]


def _check_member(raw: BinaryIO, info: zipfile.ZipInfo, name: str) -> None:
    """Inflate one member through a counter: stop at one byte past its declared size."""
    member = info.filename
    if info.flag_bits & _ENCRYPTED:
        _refuse(name, f"{member} is encrypted; zip the files again without a password")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        _refuse(
            name,
            f"{member} uses compression method {info.compress_type}; zip the files again "
            "with the standard method (Deflate)",
        )
    deflated = info.compress_type == zipfile.ZIP_DEFLATED
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    crc = 0
    ended_early = False
    try:
        for chunk in _compressed_stream(raw, info, name):
            if deflated and inflater.eof:
                ended_early = True  # bytes after the end of the stream
                break
            for piece in _inflated(chunk, inflater) if deflated else (chunk,):
                produced += len(piece)
                if produced > info.file_size:
                    _refuse(
                        name,
                        f"refused: {member} inflates to more than the {info.file_size:,} "
                        "bytes its header declares; the zip is damaged or forged",
                    )
                crc = zlib.crc32(piece, crc)
    except zlib.error as problem:
        _refuse(name, f"{member} is damaged: {problem}")
    complete = not deflated or (inflater.eof and not inflater.unused_data and not ended_early)
    if not complete or produced != info.file_size or crc != info.CRC:
        _refuse(name, f"{member} is damaged: its content does not match its header")


def _compressed_stream(raw: BinaryIO, info: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    """The member's stored bytes, located through its local header as every reader does."""
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        _refuse(name, f"{info.filename} is damaged: the archive ends inside its header")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        _refuse(name, f"{info.filename} is damaged: its local header is missing")
    raw.seek(name_length + extra_length, 1)
    left = info.compress_size
    while left > 0:
        chunk = raw.read(min(READ_CHUNK, left))
        if not chunk:
            _refuse(name, f"{info.filename} is damaged: the archive ends inside it")
        left -= len(chunk)
        yield chunk


def _inflated(chunk: bytes, inflater: zlib._Decompress) -> Iterator[bytes]:
    """What one compressed chunk inflates to, at most ``INFLATE_CHUNK`` bytes at a time."""
    data = chunk
    while not inflater.eof:
        piece = inflater.decompress(data, INFLATE_CHUNK)
        if piece:
            yield piece
        data = inflater.unconsumed_tail
        if not data and len(piece) < INFLATE_CHUNK:
            return  # the chunk is used up and zlib holds nothing back


def _refuse(name: str, message: str) -> NoReturn:
    reject(name, message)
