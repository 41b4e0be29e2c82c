"""Undo for the GeoPackage store: before an import writes, the rows it will replace are
kept in ``import_undo``; undoing deletes what the import wrote and puts them back.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from geo_service.domain import (
    LINEAGE_COLUMNS,
    MODEL_COLUMNS,
    MODEL_TYPE_COLUMNS,
    TEAM_COLUMNS,
    UNIT_COLUMNS,
)
from geo_service.store.base import ImportBatch

TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "units": ("code", "valid_from"),
    "lineage": ("old_code", "new_code"),
    "model_types": ("code",),
    "models": ("model_id",),
    "teams": ("team_id",),
}
TABLE_COLUMNS: dict[str, list[str]] = {
    "units": ["geom", *UNIT_COLUMNS, "import_id"],
    "lineage": [*LINEAGE_COLUMNS, "import_id"],
    "model_types": [*MODEL_TYPE_COLUMNS, "import_id"],
    "models": [*MODEL_COLUMNS, "import_id"],
    "teams": [*TEAM_COLUMNS, "import_id"],
}


def _where(table: str) -> str:
    return " AND ".join(f"{key} IS ?" for key in TABLE_KEYS[table])


def _keep(
    connection: sqlite3.Connection, import_id: int, table: str, keys: list[tuple[Any, ...]]
) -> None:
    columns = TABLE_COLUMNS[table]
    select = f"SELECT {', '.join(columns)} FROM {table} WHERE {_where(table)}"
    for key in keys:
        for values in connection.execute(select, key).fetchall():
            row = dict(zip(columns, values, strict=True))
            if isinstance(row.get("geom"), bytes):
                row["geom"] = row["geom"].hex()
            connection.execute(
                "INSERT INTO import_undo (import_id, table_name, row) VALUES (?, ?, ?)",
                (import_id, table, json.dumps(row, ensure_ascii=False)),
            )


def keep_replaced_rows(
    connection: sqlite3.Connection,
    batch: ImportBatch,
    import_id: int,
    sql_value: Any,
) -> None:
    """Record every row ``batch`` will overwrite, close or delete, as it is now."""
    unit_keys: list[tuple[Any, ...]] = []
    if batch.units is not None:
        unit_keys += [
            (sql_value(c), sql_value(v))
            for c, v in zip(batch.units["code"], batch.units["valid_from"], strict=True)
        ]
    unit_keys += [(code, sql_value(start)) for code, start, _ in batch.unit_closures]
    _keep(connection, import_id, "units", sorted(set(unit_keys), key=str))
    for table, frame in (
        ("lineage", batch.lineage),
        ("model_types", batch.model_types),
        ("models", batch.models),
    ):
        if frame is not None:
            keys = list(frame[list(TABLE_KEYS[table])].itertuples(index=False, name=None))
            _keep(connection, import_id, table, [tuple(sql_value(v) for v in k) for k in keys])
    if batch.teams is not None:
        owners = set(batch.teams["model_id"])
        if batch.models is not None:
            owners |= set(batch.models["model_id"])
        team_ids = [
            (team_id,)
            for owner in sorted(owners)
            for (team_id,) in connection.execute(
                "SELECT team_id FROM teams WHERE model_id = ?", (owner,)
            ).fetchall()
        ]
        _keep(connection, import_id, "teams", team_ids)


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
