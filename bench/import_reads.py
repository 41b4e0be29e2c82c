"""The reads an import is compared with, and the check of the store it leaves."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyogrio


def ogr2ogr_copy(path: Path) -> int:
    """Load the file into a new GeoPackage with GDAL's ``ogr2ogr -f GPKG`` (Debian's
    gdal-bin): what loading it takes without the service; returns the features written."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ogr2ogr-"))
    try:
        target = folder / "copy.gpkg"
        subprocess.run(
            ["ogr2ogr", "-f", "GPKG", str(target), str(path)], check=True, capture_output=True
        )
        return int(pyogrio.read_info(target)["features"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# Reads of the same file, timed in every run. The first is the benchmark's headline
# baseline (the read an analyst writes); RAW_READ is pyogrio's plain read, which the floor
# (``import_floor``) is set against; the third shows pyogrio's fastest path; OGR2OGR is
# GDAL's own load of the file into a GeoPackage, the ratio issue 13 asks for in every run.
RAW_READ = "pyogrio.raw.read"
OGR2OGR = "ogr2ogr -f GPKG"
REFERENCE_READS: dict[str, Callable[[Path], int]] = {
    "pyogrio.read_dataframe": lambda path: len(pyogrio.read_dataframe(path)),
    RAW_READ: lambda path: len(pyogrio.raw.read(path)[2]),
    "pyogrio.read_dataframe(use_arrow=True)": lambda path: len(
        pyogrio.read_dataframe(path, use_arrow=True)
    ),
    OGR2OGR: ogr2ogr_copy,
}
BASELINE = next(iter(REFERENCE_READS))


def timed_reads(villages: Path, expected: int) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for name, read in REFERENCE_READS.items():
        started = time.perf_counter()
        count = read(villages)
        seconds[name] = time.perf_counter() - started
        if count != expected:
            raise AssertionError(f"{name} read {count} villages, expected {expected}")
    return seconds


def check_store(store_path: Path, villages: int, parents: int) -> None:
    """The import landed whole, and GDAL's R-tree holds one entry per stored geometry."""
    with sqlite3.connect(store_path) as connection:
        (stored,) = connection.execute("SELECT count(*) FROM units WHERE level = 4").fetchone()
        (total,) = connection.execute("SELECT count(*) FROM units").fetchone()
        (indexed,) = connection.execute("SELECT count(*) FROM rtree_units_geom").fetchone()
        (with_geometry,) = connection.execute(
            "SELECT count(*) FROM units WHERE geom IS NOT NULL"
        ).fetchone()
    if stored != villages or total != villages + parents or indexed != with_geometry:
        raise AssertionError(
            f"store holds {stored} villages of {villages}, {total} units, "
            f"{indexed} R-tree entries for {with_geometry} geometries"
        )
    if pyogrio.read_info(store_path, layer="units")["features"] != total:
        raise AssertionError("GDAL does not see every stored unit")
