"""The embedded store: one GeoPackage file that QGIS and GDAL open as-is.

Layers: ``units`` (features, MULTIPOLYGON, EPSG:4326, with an R-tree index), ``teams``
(features, POINT: a site's point where it has one) and the attribute tables ``lineage``,
``former_names``, ``model_types``, ``models``, ``imports``.
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
import pyarrow as pa
from numpy.typing import NDArray

from geo_service.domain import (
    FORMER_NAME_COLUMNS,
    LINEAGE_COLUMNS,
    MODEL_COLUMNS,
    MODEL_TYPE_COLUMNS,
    TEAM_COLUMNS,
    WGS84,
)
from geo_service.store import gpkg_arrow, gpkg_history, gpkg_rtree, gpkg_write
from geo_service.store.base import ImportBatch, Store, StoreChanged, UnitQuery
from geo_service.store.gpkg_file import GeoPackageFile
from geo_service.store.gpkg_read import (
    import_log_frame,
    in_contract_values,
    site_points_frame,
    table_frame,
    unit_filters,
    unit_frame,
    unit_select,
    units_in_contract_values,
)
from geo_service.store.gpkg_write import sql_columns, sql_value
from geo_service.store.sqlite_bulk import in_list, insert_rows

# Every write adds a row to the import log or marks one undone, and neither is ever taken
# back: the largest id plus the number undone changes with each write.
_GENERATION = "SELECT coalesce(max(fid), 0) + count(undone_at) FROM imports"

_UPSERT_KEYS = {
    "lineage": ("old_code", "new_code"),
    "former_names": ("code", "name"),
    "model_types": ("code",),
    "models": ("model_id",),
}


_NARROW_FROM = 2_000  # shorter code lists are always matched in SQL


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
        return table_frame(*self._query(sql, params), columns)

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
                "INSERT INTO imports (at, kind, file_name, sha256, counts, notes) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    batch.source.kind,
                    batch.source.file_name,
                    batch.source.sha256,
                    json.dumps(batch.counts()),
                    json.dumps(list(batch.source.notes), ensure_ascii=False),
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
                ("former_names", batch.former_names, FORMER_NAME_COLUMNS),
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
            clause, params = in_list("fid", replaced)
            connection.execute(f"DELETE FROM units WHERE {clause}", params)
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
        clause, params = in_list("model_id", sorted(replaced))
        connection.execute(f"DELETE FROM teams WHERE {clause}", params)
        insert_rows(
            connection,
            f"INSERT INTO teams ({', '.join(TEAM_COLUMNS)}, geom, import_id)",
            [
                *sql_columns(batch.teams, TEAM_COLUMNS),
                gpkg_write.site_points(batch.teams),
                [import_id] * len(batch.teams),
            ],
        )

    # -- reads ----------------------------------------------------------------------------

    def bbox_bounds(self, bounds: NDArray[np.float64]) -> NDArray[np.float64]:
        # The R-tree holds 32-bit floats rounded outwards (SQLite's rtreeValueDown/Up).
        west, south, east, north = np.asarray(bounds, dtype=np.float64).reshape(-1, 4).T
        stored = gpkg_rtree.as_stored(np.column_stack([west, east, south, north]))
        return stored.astype(np.float64)[:, [0, 2, 1, 3]]

    def units(self, query: UnitQuery | None = None) -> gpd.GeoDataFrame:
        query = self._held_codes_only(query or UnitQuery())
        whole = self._whole("units") if gpkg_arrow.is_bulk(query) else None
        if whole is not None:
            return units_in_contract_values(gpkg_arrow.units_rows(whole, query))
        names, rows = self._query(*unit_select(query))
        return unit_frame(names, rows, query)

    def _whole(self, layer: str) -> pa.Table | None:
        """Every row of ``layer`` by GDAL's Arrow stream (``gpkg_arrow``); None when it is
        to be read by ``sqlite3``: GDAL could not, or there is nothing to read."""
        if not self.exists():
            return None
        table = gpkg_arrow.whole_layer(self.path, layer)
        return table if table is not None and table.num_rows else None

    def count_units(self, query: UnitQuery | None = None) -> int:
        where, params = unit_filters(self._held_codes_only(query or UnitQuery()))
        (count,) = self._query(f"SELECT count(*) FROM units WHERE {where}", params)[1][0]
        return int(count)

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

        Matching a code through ``json_each`` costs several times what reading a stored code
        does, and a national import asks for 80,000 codes at once.
        """
        if count < _NARROW_FROM:
            return False
        (rows,) = self._query("SELECT count(*) FROM units")[1][0]
        return count * 6 >= rows

    def lineage(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM lineage ORDER BY old_code, new_code", LINEAGE_COLUMNS)

    def former_names(self) -> pd.DataFrame:
        # A file made before the table was added lacks it until its next import.
        (held,) = self._query(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'former_names'"
        )[1][0]
        if not held:
            return table_frame([], [], FORMER_NAME_COLUMNS)
        return self._frame("SELECT * FROM former_names ORDER BY code, name", FORMER_NAME_COLUMNS)

    def model_types(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM model_types ORDER BY fid", MODEL_TYPE_COLUMNS)

    def models(
        self, unit_codes: Sequence[str] | None = None, model_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        filters = {"unit_code": unit_codes, "model_id": model_ids}
        return self._rows_of("models", MODEL_COLUMNS, filters, "model_id")

    def teams(
        self, model_ids: Sequence[str] | None = None, unit_codes: Sequence[str] | None = None
    ) -> pd.DataFrame:
        filters = {"model_id": model_ids, "unit_code": unit_codes}
        return site_points_frame(self._rows_of("teams", TEAM_COLUMNS, filters, "team_id"))

    def _rows_of(
        self,
        table: str,
        columns: Sequence[str],
        filters: dict[str, Sequence[str] | None],
        order: str,
    ) -> pd.DataFrame:
        """Rows of ``table`` whose every filtered column holds one of its wanted values."""
        whole = None
        if all(wanted is None for wanted in filters.values()):
            whole = self._whole(table)
        if whole is not None:
            return in_contract_values(gpkg_arrow.ordered_rows(whole, order), columns)
        conditions, params = ["1 = 1"], []
        for column, wanted in filters.items():
            if wanted is not None:
                condition, values = in_list(column, wanted)
                conditions.append(condition)
                params.extend(values)
        sql = f"SELECT * FROM {table} WHERE {' AND '.join(conditions)} ORDER BY {order}"
        return self._frame(sql, columns, params)

    def undo(self, import_id: int) -> None:
        with self._file.writing("undone") as connection:
            gpkg_history.undo_import(connection, import_id)
            gpkg_write.update_extent(connection, None)

    def imports(self) -> pd.DataFrame:
        return import_log_frame(
            *self._query(
                # *: a store made before ``notes`` was added lacks it (ADDED_COLUMNS)
                "SELECT fid AS id, * FROM imports ORDER BY fid"
            )
        )

    def close(self) -> None:
        """Connections are per call; nothing stays open."""
