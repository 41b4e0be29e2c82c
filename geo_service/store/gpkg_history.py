"""Undo for the GeoPackage store: before an import writes, the rows it will replace are
kept in ``import_undo``; undoing deletes what the import wrote and puts them back.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from geo_service.domain import (
    FORMER_NAME_COLUMNS,
    LINEAGE_COLUMNS,
    MODEL_COLUMNS,
    MODEL_TYPE_COLUMNS,
    TEAM_COLUMNS,
    UNIT_COLUMNS,
)
from geo_service.store.base import ImportBatch
from geo_service.store.gpkg_write import sql_columns
from geo_service.store.sqlite_bulk import in_list
from geo_service.values import member_of

TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "units": ("code", "valid_from"),
    "lineage": ("old_code", "new_code"),
    "former_names": ("code", "name"),
    "model_types": ("code",),
    "models": ("model_id",),
    "teams": ("team_id",),
}
TABLE_COLUMNS: dict[str, list[str]] = {
    "units": ["geom", *UNIT_COLUMNS, "import_id"],
    "lineage": [*LINEAGE_COLUMNS, "import_id"],
    "former_names": [*FORMER_NAME_COLUMNS, "import_id"],
    "model_types": [*MODEL_TYPE_COLUMNS, "import_id"],
    "models": [*MODEL_COLUMNS, "import_id"],
    "teams": [*TEAM_COLUMNS, "geom", "import_id"],
}


def _where(table: str) -> str:
    return " AND ".join(f"{key} IS ?" for key in TABLE_KEYS[table])


def _keep(
    connection: sqlite3.Connection, import_id: int, table: str, keys: pd.DataFrame
) -> list[int]:
    """Keep the stored rows whose key is in ``keys`` in ``import_undo``; return the fids of
    those whose key has ``replaces`` set (the rows the import replaces, as opposed to only
    updating).

    ``keys`` holds the key columns as SQLite values and the ``replaces`` flag; the first row
    of a key counts. Two set-wise queries instead of one per key (80,000 for a national
    village import): the candidates by the first key column, then the full rows of those
    that match, which are found by a join on whole columns.
    """
    if keys.empty:
        return []
    names = list(TABLE_KEYS[table])
    firsts = pd.unique(keys[names[0]].to_numpy(dtype=object))
    (held,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    if len(firsts) >= held:  # e.g. the first national import: reading the table is cheaper
        candidates = connection.execute(f"SELECT fid, {', '.join(names)} FROM {table}").fetchall()
    else:
        clause, params = in_list(names[0], firsts.tolist())
        candidates = connection.execute(
            f"SELECT fid, {', '.join(names)} FROM {table} WHERE {clause}", params
        ).fetchall()
    stored = pd.DataFrame(candidates, columns=["fid", *names], dtype=object)
    stored = stored[member_of(stored[names[0]], firsts)]
    if stored.empty:  # e.g. a first import: nothing to keep, and no need to join
        return []
    held_firsts = pd.unique(stored[names[0]].to_numpy(dtype=object))
    wanted = keys.loc[member_of(keys[names[0]], held_firsts), [*names, "replaces"]]
    wanted = wanted.astype(object).drop_duplicates(names)
    found = stored.merge(wanted, on=names, how="inner")  # NULL keys match, as SQL's IS does
    if found.empty:
        return []
    fids = sorted(found["fid"].tolist())
    columns = TABLE_COLUMNS[table]
    clause, params = in_list("fid", fids)
    rows = connection.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE {clause} ORDER BY fid", params
    ).fetchall()
    connection.executemany(
        "INSERT INTO import_undo (import_id, table_name, row) VALUES (?, ?, ?)",
        [(import_id, table, _row_json(columns, values)) for values in rows],
    )
    return sorted(found.loc[found["replaces"].astype(bool), "fid"].tolist())


def _row_json(columns: list[str], values: tuple[Any, ...]) -> str:
    row = dict(zip(columns, values, strict=True))
    if isinstance(row.get("geom"), bytes):
        row["geom"] = row["geom"].hex()
    return json.dumps(row, ensure_ascii=False)


def _key_frame(columns: dict[str, list[Any]], replaces: bool) -> pd.DataFrame:
    frame = pd.DataFrame(
        {name: pd.Series(column, dtype=object) for name, column in columns.items()}
    )
    frame["replaces"] = replaces
    return frame


def _frame_keys(frame: pd.DataFrame, table: str, replaces: bool = True) -> pd.DataFrame:
    names = TABLE_KEYS[table]
    return _key_frame(dict(zip(names, sql_columns(frame, names), strict=True)), replaces)


def keep_replaced_rows(
    connection: sqlite3.Connection,
    batch: ImportBatch,
    import_id: int,
    sql_value: Any,
) -> list[int]:
    """Record every row ``batch`` will overwrite, close or delete, as it is now.

    Returns the fids of the unit rows that ``batch.units`` replaces (same natural key):
    the writer deletes exactly those before inserting the batch.
    """
    unit_keys = [] if batch.units is None else [_frame_keys(batch.units, "units")]
    if batch.unit_closures:
        codes, starts, _ = zip(*batch.unit_closures, strict=True)
        closing = {"code": list(codes), "valid_from": [sql_value(start) for start in starts]}
        unit_keys.append(_key_frame(closing, replaces=False))
    replaced = (
        _keep(connection, import_id, "units", pd.concat(unit_keys, ignore_index=True))
        if unit_keys
        else []
    )
    for table, frame in (
        ("lineage", batch.lineage),
        ("former_names", batch.former_names),
        ("model_types", batch.model_types),
        ("models", batch.models),
    ):
        if frame is not None:
            _keep(connection, import_id, table, _frame_keys(frame, table))
    if batch.teams is not None:
        owners = set(batch.teams["model_id"])
        if batch.models is not None:
            owners |= set(batch.models["model_id"])
        clause, params = in_list("model_id", sorted(owners))
        team_ids = connection.execute(
            f"SELECT team_id FROM teams WHERE {clause}", params
        ).fetchall()
        held = {"team_id": [team_id for (team_id,) in team_ids]}
        _keep(connection, import_id, "teams", _key_frame(held, replaces=True))
    return replaced


def undo_import(connection: sqlite3.Connection, import_id: int) -> None:
    found = connection.execute(
        "SELECT undone_at FROM imports WHERE fid = ?", (import_id,)
    ).fetchone()
    if found is None:
        raise LookupError(f"no import #{import_id}")
    if found[0] is not None:
        raise ValueError(f"import #{import_id} was already undone at {found[0]}")
    (latest,) = connection.execute(
        "SELECT max(fid) FROM imports WHERE undone_at IS NULL"
    ).fetchone()
    if latest != import_id:
        raise ValueError(f"only the latest import (#{latest}) can be undone; undo it first")
    for table in TABLE_KEYS:
        connection.execute(f"DELETE FROM {table} WHERE import_id = ?", (import_id,))
    kept = connection.execute(
        "SELECT table_name, row FROM import_undo WHERE import_id = ? ORDER BY fid", (import_id,)
    ).fetchall()
    for table, text in kept:
        row = json.loads(text)
        if row.get("geom") is not None:
            row["geom"] = bytes.fromhex(row["geom"])
        key = tuple(row[k] for k in TABLE_KEYS[table])
        connection.execute(f"DELETE FROM {table} WHERE {_where(table)}", key)
        columns = TABLE_COLUMNS[table]
        connection.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [row[c] for c in columns],
        )
    connection.execute("DELETE FROM import_undo WHERE import_id = ?", (import_id,))
    connection.execute(
        "UPDATE imports SET undone_at = ? WHERE fid = ?",
        (datetime.now(UTC).isoformat(timespec="seconds"), import_id),
    )
