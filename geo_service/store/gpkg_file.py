"""The GeoPackage store's file: connections for reading, one transaction per write.

Nothing touches the file system until the first write: a store that does not exist yet is
read as an empty in-memory database with the same schema, so reading commands and a
server over a new path create nothing. The schema is created (or completed, for a file
made by an older version) inside each write transaction, so a read-only file is never
written merely by opening it. Failures the user can act on (full disk, read-only file,
another import holding the store) become ``StoreError``s with a message.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from geo_service.store import gpkg_geometry
from geo_service.store.base import StoreBusy, StoreError, StoreFull, StoreReadOnly
from geo_service.store.gpkg_write import RTREE_INSERT_TRIGGER

BUSY_TIMEOUT_S = 30  # how long a write waits for another import to finish

RTREE_TRIGGERS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS rtree_units_geom USING rtree(id, minx, maxx, miny, maxy);"
    + RTREE_INSERT_TRIGGER
    + """CREATE TRIGGER IF NOT EXISTS rtree_units_geom_update1 AFTER UPDATE OF geom ON units
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  INSERT OR REPLACE INTO rtree_units_geom VALUES (NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER IF NOT EXISTS rtree_units_geom_update2 AFTER UPDATE OF geom ON units
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_units_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER IF NOT EXISTS rtree_units_geom_update3 AFTER UPDATE ON units
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_units_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_units_geom VALUES (NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER IF NOT EXISTS rtree_units_geom_update4 AFTER UPDATE ON units
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) BEGIN
  DELETE FROM rtree_units_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER IF NOT EXISTS rtree_units_geom_delete AFTER DELETE ON units
WHEN old.geom NOT NULL BEGIN
  DELETE FROM rtree_units_geom WHERE id = OLD.fid;
END;
INSERT OR IGNORE INTO gpkg_extensions VALUES ('units', 'geom', 'gpkg_rtree_index',
  'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
"""
)


@cache
def schema() -> str:
    """The whole schema script (idempotent): GeoPackage core, the service's tables, R-tree."""
    script = resources.files("geo_service.store").joinpath("sql/geopackage_schema.sql")
    return script.read_text(encoding="utf-8") + RTREE_TRIGGERS


# Columns added to tables after stores were first made: (table, column, SQL type).
_ADDED_COLUMNS = (
    ("teams", "lon", "DOUBLE"),
    ("teams", "lat", "DOUBLE"),
    ("teams", "geom", "POINT"),
    ("model_types", "aliases", "TEXT"),
    ("imports", "notes", "TEXT"),
    ("models", "ended_on", "DATE"),
)


def complete_schema(connection: sqlite3.Connection) -> None:
    """Give a file made by an older version the columns added since (``CREATE TABLE IF NOT
    EXISTS`` leaves an existing table as it is), and register its sites as a point layer."""
    for table, column, kind in _ADDED_COLUMNS:
        held = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in held:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    connection.execute(
        "UPDATE gpkg_contents SET data_type = 'features', srs_id = 4326 "
        "WHERE table_name = 'teams' AND data_type != 'features'"
    )


def register_st_functions(connection: sqlite3.Connection) -> None:
    """The SQL functions the standard R-tree triggers call (GDAL provides the same)."""

    def bound(index: int) -> Any:
        def read(blob: bytes | None) -> float | None:
            found = gpkg_geometry.envelope(blob)
            return None if found is None else found[index]

        return read

    for index, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        connection.create_function(name, 1, bound(index), deterministic=True)
    connection.create_function("ST_IsEmpty", 1, gpkg_geometry.is_empty, deterministic=True)


class GeoPackageFile:
    """Where the store lives, and how it is read and written."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        """A file with content: SQLite leaves an empty file behind when the first write into
        a new path fails (a full disk), and that holds no store."""
        try:
            return self.path.is_file() and self.path.stat().st_size > 0
        except OSError:
            return False

    def query(
        self, sql: str, params: Iterable[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and rows ``sql`` selects."""
        connection = self.reading()
        try:
            cursor = connection.execute(sql, tuple(params))
            return [d[0] for d in cursor.description], cursor.fetchall()
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from exc
        finally:
            connection.close()

    def reading(self) -> sqlite3.Connection:
        """A connection that cannot create or change the file: read-only on the file when it
        exists, else an empty database in memory."""
        if not self.exists():
            connection = sqlite3.connect(":memory:", isolation_level=None)
            connection.executescript(schema())
        else:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            connection = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S
            )
        register_st_functions(connection)
        return connection

    @contextmanager
    def writing(self, nothing_done: str) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) that first creates or
        completes the schema; the store is created by the first one.

        ``nothing_done`` ends the message of a failure ("nothing was imported").
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        except (OSError, sqlite3.Error) as exc:
            raise self._refusal(exc, nothing_done) from exc
        try:
            register_st_functions(connection)
            # executescript would COMMIT an open transaction first: BEGIN is in the script.
            connection.executescript("BEGIN IMMEDIATE;\n" + schema())
            complete_schema(connection)
            yield connection
            connection.execute("COMMIT")
        except BaseException as exc:
            # SQLite ends the transaction itself on some errors (a full disk): a ROLLBACK
            # then would fail and hide the error that matters.
            if connection.in_transaction:
                with suppress(sqlite3.Error):  # closing the connection rolls back anyway
                    connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error | OSError):
                refusal = self._refusal(exc, nothing_done)
                if refusal is not exc:
                    raise refusal from exc
            raise
        finally:
            connection.close()

    def _unreadable(self, exc: sqlite3.Error) -> Exception:
        """The ``StoreError`` a failed read means, or ``exc`` itself (a bug of ours)."""
        primary = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if primary == sqlite3.SQLITE_NOTADB or "no such table" in str(exc):
            return StoreError(f"{self.path} is not a geo-service store ({exc})")
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreBusy(f"the store at {self.path} is busy; try again")
        return exc

    def _refusal(self, exc: sqlite3.Error | OSError, nothing_done: str) -> Exception:
        """The ``StoreError`` ``exc`` means, or ``exc`` itself when it is not one of them."""
        if isinstance(exc, OSError):
            primary = _OS_ERRORS.get(exc.errno or 0)
        else:
            primary = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if primary == sqlite3.SQLITE_FULL:
            return StoreFull(f"disk full, nothing was {nothing_done} (store: {self.path})")
        if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
            return StoreReadOnly(
                f"the store at {self.path} is read-only; nothing was {nothing_done}"
            )
        if primary == sqlite3.SQLITE_CANTOPEN:
            return StoreReadOnly(
                f"cannot create the store at {self.path} (its folder is read-only or not "
                f"writable); nothing was {nothing_done}"
            )
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreBusy(
                f"the store at {self.path} is held by another import; nothing was "
                f"{nothing_done}; try again when it has finished"
            )
        if primary == sqlite3.SQLITE_NOTADB:
            return StoreError(f"{self.path} is not a geo-service store; nothing was {nothing_done}")
        return exc


_OS_ERRORS = {
    errno.ENOSPC: sqlite3.SQLITE_FULL,
    errno.EDQUOT: sqlite3.SQLITE_FULL,
    errno.EROFS: sqlite3.SQLITE_CANTOPEN,
    errno.EACCES: sqlite3.SQLITE_CANTOPEN,
    errno.EPERM: sqlite3.SQLITE_CANTOPEN,
}
