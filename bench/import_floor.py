"""The least any import of the village file must spend, measured without our code.

Two parts of an import do not depend on how it handles names and checks:

- storing the rows: SQLite's own work to insert the rows our import wrote into the same
  table, with its indexes, in one transaction. Measured with one ``INSERT … SELECT`` from an
  in-memory copy of those rows, so no Python touches a value (and, like our writer, with
  the R-tree insert trigger dropped: the R-tree is packed separately in a few hundredths of
  a second, and left out here);
- reading and checking the geometry: GDAL's Arrow read of the file, then shapely's WKB
  decoding and validity check of every polygon, all in C.

Their sum is a floor under the import, set by SQLite, GDAL and GEOS on this machine;
``bench_import`` reports it beside ``pyogrio.raw.read`` and the import's time beyond it.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import shapely
from pyogrio.raw import read_arrow


def store_rows_s(template: Path, imported: Path, folder: Path) -> float:
    """Seconds SQLite takes to insert, into a fresh copy of ``template``, the unit rows that
    ``imported`` (``template`` after one import) holds beyond it; commit included."""
    target = folder / "floor.gpkg"
    shutil.copyfile(template, target)
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        connection.execute("PRAGMA temp_store = MEMORY")
        connection.execute("ATTACH DATABASE ? AS imported", (str(imported),))
        columns = ", ".join(
            row[1] for row in connection.execute("PRAGMA main.table_info(units)").fetchall()
        )
        (last_fid,) = connection.execute("SELECT coalesce(max(fid), 0) FROM main.units").fetchone()
        connection.execute(
            f"CREATE TEMP TABLE staged AS SELECT {columns} FROM imported.units "
            "WHERE fid > ? ORDER BY fid",
            (last_fid,),
        )
        (expected,) = connection.execute("SELECT count(*) FROM temp.staged").fetchone()
        connection.execute("DETACH DATABASE imported")
        connection.execute("DROP TRIGGER IF EXISTS main.rtree_units_geom_insert")
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        inserted = connection.execute(
            f"INSERT INTO main.units ({columns}) SELECT {columns} FROM temp.staged"
        ).rowcount
        connection.execute("COMMIT")
        seconds = time.perf_counter() - started
    finally:
        connection.close()
        target.unlink(missing_ok=True)
    if expected == 0 or inserted != expected:
        raise AssertionError(f"the floor copy inserted {inserted} rows of {expected}")
    return seconds


def geometry_s(villages: Path, expected: int) -> float:
    """Seconds to read the file through GDAL's Arrow stream and decode and validate every
    geometry with shapely."""
    started = time.perf_counter()
    meta, table = read_arrow(villages)
    wkb = table.column(meta.get("geometry_name") or "wkb_geometry").to_numpy(zero_copy_only=False)
    valid = shapely.is_valid(shapely.from_wkb(wkb))
    seconds = time.perf_counter() - started
    if len(valid) != expected or not valid.all():
        raise AssertionError(f"{valid.sum()} valid geometries of {len(valid)}, expected {expected}")
    return seconds
