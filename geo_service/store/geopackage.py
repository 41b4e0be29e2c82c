"""The embedded store: one GeoPackage file that QGIS and GDAL open as-is.

Layers: ``units`` (features, MULTIPOLYGON, EPSG:4326, with an R-tree index) and the
attribute tables ``lineage``, ``model_types``, ``models``, ``teams``, ``imports``.
Each import is one SQLite transaction (``BEGIN IMMEDIATE`` … ``COMMIT``), so a failed
import leaves the file exactly as it was; the file itself is made by the first import
(``gpkg_file``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo_service.domain import (
    LINEAGE_COLUMNS,
    MODEL_COLUMNS,
    MODEL_TYPE_COLUMNS,
    TEAM_COLUMNS,
    UNIT_COLUMNS,
    WGS84,
    with_count_dtypes,
)
from geo_service.store import gpkg_geometry, gpkg_history, gpkg_write
from geo_service.store.base import ImportBatch, Store, StoreChanged, UnitQuery
from geo_service.store.gpkg_file import GeoPackageFile
from geo_service.store.gpkg_write import sql_columns, sql_value
from geo_service.store.sqlite_bulk import insert_rows

# Every write adds a row to the import log or marks one undone, and neither is ever taken
# back: the largest id plus the number undone changes with each write.
_GENERATION = "SELECT coalesce(max(fid), 0) + count(undone_at) FROM imports"

_UPSERT_KEYS = {
    "lineage": ("old_code", "new_code"),
    "model_types": ("code",),
    "models": ("model_id",),
}


def _in_list(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    """``column IN (…)`` with one JSON parameter: no limit on the number of values."""
    return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(values))]


_NARROW_FROM = 2_000  # shorter code lists are always matched in SQL


def _selected(columns: tuple[str, ...] | None) -> list[str]:
    if columns is None:
        return UNIT_COLUMNS
    unknown = set(columns) - set(UNIT_COLUMNS)
    if unknown:
        raise ValueError(f"no unit column {sorted(unknown)}")
    return [column for column in UNIT_COLUMNS if column in columns]


def _unit_filters(query: UnitQuery) -> tuple[list[str], list[Any]]:
    where, params = ["1 = 1"], []  # type: list[str], list[Any]
    if query.as_of is not None:
        day = query.as_of.isoformat()
        where.append(
            "(valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to > ?)"
        )
        params += [day, day]
    if query.level is not None:
        where.append("level = ?")
        params.append(int(query.level))
    if query.ended:
        where.append("valid_to IS NOT NULL")
    if query.parent_code is not None:
        where.append("parent_code = ?")
        params.append(query.parent_code)
    for column, values in (("code", query.codes), ("parent_code", query.parent_codes)):
        if values is not None:
            clause, values_param = _in_list(column, values)
            where.append(clause)
            params += values_param
    if query.bbox is not None:
        minx, miny, maxx, maxy = query.bbox
        where.append(
            "fid IN (SELECT id FROM rtree_units_geom "
            "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)"
        )
        params += [maxx, minx, maxy, miny]
    return where, params


class GeoPackageStore(Store):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = GeoPackageFile(self.path)

    def exists(self) -> bool:
        return self._file.exists()

    def _query(
        self, sql: str, params: Iterable[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        return self._file.query(sql, params)

    def _frame(self, sql: str, columns: Sequence[str], params: Iterable[Any] = ()) -> pd.DataFrame:
        names, rows = self._query(sql, params)
        frame = pd.DataFrame.from_records(rows, columns=names)
        if frame.empty:
            frame = pd.DataFrame(columns=list(columns))
        return with_count_dtypes(frame[list(columns)])

    # -- writes ---------------------------------------------------------------------------

    def generation(self) -> int:
        (generation,) = self._query(_GENERATION)[1][0]
        return int(generation)

    def apply(self, batch: ImportBatch, expected_generation: int | None = None) -> int:
        with self._file.writing("imported") as connection:
            if expected_generation is not None:
                (now,) = connection.execute(_GENERATION).fetchone()
                if now != expected_generation:
                    raise StoreChanged(f"generation {expected_generation} became {now}")
            cursor = connection.execute(
                "INSERT INTO imports (at, kind, file_name, sha256, counts) VALUES (?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    batch.source.kind,
                    batch.source.file_name,
                    batch.source.sha256,
                    json.dumps(batch.counts()),
                ),
            )
            import_id = int(cursor.lastrowid or 0)
            replaced = gpkg_history.keep_replaced_rows(connection, batch, import_id, sql_value)
            added = np.empty((0, 4))
            if batch.units is not None:
                added = self._write_units(connection, batch.units, import_id, replaced)
            connection.executemany(
                "UPDATE units SET valid_to = ? WHERE code = ? AND valid_from IS ?",
                [
                    (sql_value(valid_to), code, sql_value(valid_from))
                    for code, valid_from, valid_to in batch.unit_closures
                ],
            )
            for table, frame, columns in (
                ("lineage", batch.lineage, LINEAGE_COLUMNS),
                ("model_types", batch.model_types, MODEL_TYPE_COLUMNS),
                ("models", batch.models, MODEL_COLUMNS),
            ):
                if frame is not None:
                    self._upsert(connection, table, frame, columns, import_id)
            if batch.teams is not None:
                self._replace_teams(connection, batch, import_id)
            # Replacing rows may shrink the extent: then it is computed from every geometry.
            gpkg_write.update_extent(connection, None if replaced else added)
        return import_id

    def _write_units(
        self,
        connection: sqlite3.Connection,
        units: gpd.GeoDataFrame,
        import_id: int,
        replaced: list[int],
    ) -> NDArray[np.float64]:
        """Replace the rows of fids ``replaced`` and insert ``units``; return their bounds."""
        if units.crs is not None and not units.crs.equals(WGS84):
            raise ValueError(f"units must be in {WGS84}, got {units.crs}")
        if replaced:
            connection.execute(
                "DELETE FROM units WHERE fid IN (SELECT value FROM json_each(?))",
                (json.dumps(replaced),),
            )
        return gpkg_write.insert_units(connection, units, import_id)

    def _upsert(
        self,
        connection: sqlite3.Connection,
        table: str,
        frame: pd.DataFrame,
        columns: Sequence[str],
        import_id: int,
    ) -> None:
        keys = _UPSERT_KEYS[table]
        updates = ", ".join(f"{c} = excluded.{c}" for c in [*columns, "import_id"] if c not in keys)
        insert_rows(
            connection,
            f"INSERT INTO {table} ({', '.join(columns)}, import_id)",
            [*sql_columns(frame, columns), [import_id] * len(frame)],
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
        )

    def _replace_teams(
        self, connection: sqlite3.Connection, batch: ImportBatch, import_id: int
    ) -> None:
        assert batch.teams is not None
        replaced = set(batch.teams["model_id"])
        if batch.models is not None:
            replaced |= set(batch.models["model_id"])
        connection.executemany("DELETE FROM teams WHERE model_id = ?", [(m,) for m in replaced])
        insert_rows(
            connection,
            f"INSERT INTO teams ({', '.join(TEAM_COLUMNS)}, import_id)",
            [*sql_columns(batch.teams, TEAM_COLUMNS), [import_id] * len(batch.teams)],
        )

    # -- reads ----------------------------------------------------------------------------

    def units(self, query: UnitQuery | None = None) -> gpd.GeoDataFrame:
        query = self._held_codes_only(query or UnitQuery())
        where, params = _unit_filters(query)
        geometry_column = "geom" if query.with_geometry else "NULL AS geom"
        columns = _selected(query.columns)
        sql = (
            f"SELECT {geometry_column}, {', '.join(columns)} FROM units "
            f"WHERE {' AND '.join(where)} ORDER BY level, code, valid_from"
        )
        names, rows = self._query(sql, params)
        frame = pd.DataFrame.from_records(rows, columns=names)
        if frame.empty:
            frame = pd.DataFrame(columns=["geom", *columns])
        blobs = frame.pop("geom")
        geometry = (
            gpkg_geometry.decode(list(blobs))
            if query.with_geometry
            else np.full(len(frame), None, dtype=object)
        )
        if "level" in frame:
            frame["level"] = frame["level"].astype(int)
        with_count_dtypes(frame)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)

    def _held_codes_only(self, query: UnitQuery) -> UnitQuery:
        """``query`` with a long code list narrowed to the codes the store holds, read from
        the code index alone: a national import asks for each of its 80,000 codes, none of
        which is stored the first time. Rows are then matched in SQL as usual (reading
        them all instead would also read the large polygons of every province and commune).
        """
        if query.codes is None or not self._cheaper_to_scan(len(query.codes)):
            return query
        held = self._stored_among(set(query.codes))
        return replace(query, codes=tuple(code for code in query.codes if code in held))

    def held_codes(self, codes: Iterable[str]) -> set[str]:
        wanted = set(codes)
        if not self._cheaper_to_scan(len(wanted)):
            return super().held_codes(wanted)
        return self._stored_among(wanted)

    def _stored_among(self, wanted: set[str]) -> set[str]:
        """Those of ``wanted`` among every stored code, read from the code index."""
        return {
            code for (code,) in self._query("SELECT DISTINCT code FROM units")[1] if code in wanted
        }

    def _cheaper_to_scan(self, count: int) -> bool:
        """Whether reading every stored code and keeping the wanted ones beats matching
        ``count`` codes in SQL.

        Matching a code through ``json_each`` costs about 1.5 µs, reading a stored code
        about 0.2 µs: a national import asks for 80,000 codes at once.
        """
        if count < _NARROW_FROM:
            return False
        (rows,) = self._query("SELECT count(*) FROM units")[1][0]
        return count * 6 >= rows

    def lineage(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM lineage ORDER BY old_code, new_code", LINEAGE_COLUMNS)

    def model_types(self) -> pd.DataFrame:
        frame = self._frame("SELECT * FROM model_types ORDER BY fid", MODEL_TYPE_COLUMNS)
        frame["counts_as_model"] = frame["counts_as_model"].astype(bool)
        return frame

    def models(self, unit_codes: list[str] | None = None) -> pd.DataFrame:
        if unit_codes is None:
            frame = self._frame("SELECT * FROM models ORDER BY model_id", MODEL_COLUMNS)
        else:
            frame = self._frame(
                f"SELECT * FROM models WHERE unit_code IN ({', '.join('?' * len(unit_codes))}) "
                "ORDER BY model_id",
                MODEL_COLUMNS,
                unit_codes,
            )
        frame["extra"] = [json.loads(v) if isinstance(v, str) and v else {} for v in frame["extra"]]
        return frame

    def teams(self, model_ids: list[str] | None = None) -> pd.DataFrame:
        if model_ids is None:
            return self._frame("SELECT * FROM teams ORDER BY team_id", TEAM_COLUMNS)
        return self._frame(
            f"SELECT * FROM teams WHERE model_id IN ({', '.join('?' * len(model_ids))}) "
            "ORDER BY team_id",
            TEAM_COLUMNS,
            model_ids,
        )

    def undo(self, import_id: int) -> None:
        with self._file.writing("undone") as connection:
            gpkg_history.undo_import(connection, import_id)
            gpkg_write.update_extent(connection, None)

    def imports(self) -> pd.DataFrame:
        return self._frame(
            "SELECT fid AS id, at, kind, file_name, sha256, counts, undone_at FROM imports "
            "ORDER BY fid",
            ["id", "at", "kind", "file_name", "sha256", "counts", "undone_at"],
        )

    def close(self) -> None:
        """Connections are per call; nothing stays open."""
