"""Build the units R-tree in bulk, for imports too large to insert entry by entry.

SQLite's R*Tree inserts one entry at a time (choose a leaf, split, re-insert): about
15 µs per entry here, over a second for a national village import. For a large batch the
whole tree is instead packed at once (Sort-Tile-Recursive) and written straight into the
R-tree's three shadow tables, as GDAL does when it builds a GeoPackage spatial index.

The layout is SQLite's (ext/rtree/rtree.c), which it keeps stable for file compatibility:
``<name>_node(nodeno, data)``, one fixed-size blob per node, node 1 the root; a blob is a
16-bit depth (root only) and a 16-bit cell count, then cells of a 64-bit id and four
32-bit float coordinates (minx, maxx, miny, maxy), all big-endian, zero-padded;
``<name>_rowid(rowid, nodeno)`` maps each entry to its leaf and ``<name>_parent(nodeno,
parentnode)`` each non-root node to its parent. Coordinates are rounded outwards to
32-bit floats exactly as SQLite rounds them, so the tree holds the values an ordinary
insert would. ``rtreecheck()`` (run by the tests) verifies the result.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo_service.store.sqlite_bulk import insert_rows

_CELL = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])
_HEADER_BYTES = 4
_MAX_CELLS = 51  # RTREE_MAXCELLS: SQLite never puts more in a node
# SQLite's rtreeValueDown/rtreeValueUp nudge factors (1 -/+ 2**-23).
_TOWARDS = 1.0 - 1.0 / 8388608.0
_AWAY = 1.0 + 1.0 / 8388608.0


def entries(
    connection: sqlite3.Connection, name: str
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Every (id, (minx, maxx, miny, maxy)) of R-tree ``name``, as stored (32-bit floats)."""
    rows = connection.execute(f"SELECT id, minx, maxx, miny, maxy FROM {name}").fetchall()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 4), dtype=np.float32)
    array = np.asarray(rows, dtype=np.float64)
    return array[:, 0].astype(np.int64), array[:, 1:].astype(np.float32)


def as_stored(bounds: NDArray[np.float64]) -> NDArray[np.float32]:
    """(minx, maxx, miny, maxy) doubles -> the 32-bit floats SQLite's R-tree stores:
    minima rounded down and maxima up (rtreeValueDown/Up), so the box covers the geometry.
    """
    stored = bounds.astype(np.float32)
    for column, down in ((0, True), (1, False), (2, True), (3, False)):
        value = bounds[:, column]
        rounded = stored[:, column]
        wrong = rounded > value if down else rounded < value
        if wrong.any():
            negative = value[wrong] < 0
            factor = (
                np.where(negative, _AWAY, _TOWARDS) if down else np.where(negative, _TOWARDS, _AWAY)
            )
            stored[wrong, column] = (value[wrong] * factor).astype(np.float32)
    return stored


@dataclass(frozen=True)
class PackedTree:
    """A whole R-tree, laid out: the rows of its three shadow tables."""

    nodes: list[tuple[int, bytes]]
    rowids: list[tuple[int, int]]
    parents: list[tuple[int, int]]


def node_size(connection: sqlite3.Connection, name: str) -> int:
    (size,) = connection.execute(
        f"SELECT length(data) FROM {name}_node WHERE nodeno = 1"
    ).fetchone()
    return int(size)


def pack(ids: NDArray[np.int64], boxes: NDArray[np.float32], node_bytes: int) -> PackedTree:
    """Lay out an R-tree of these entries (ids unique) in nodes of ``node_bytes``.

    Pure computation, no connection: the writer runs it on a worker thread while the
    feature rows are inserted.
    """
    capacity = min(_MAX_CELLS, (node_bytes - _HEADER_BYTES) // _CELL.itemsize)
    levels = _pack(ids, boxes.astype(np.float32), capacity)
    nodes, rowids, parents = _number(levels)
    blobs = [(nodeno, _blob(nodeno, cells, depth, node_bytes)) for nodeno, cells, depth in nodes]
    return PackedTree(blobs, rowids, parents)


def write(connection: sqlite3.Connection, name: str, tree: PackedTree) -> None:
    """Replace the whole content of R-tree ``name`` by ``tree``."""
    for table in ("node", "rowid", "parent"):
        connection.execute(f"DELETE FROM {name}_{table}")
    connection.executemany(f"INSERT INTO {name}_node VALUES (?, ?)", tree.nodes)
    for table, rows in (("rowid", tree.rowids), ("parent", tree.parents)):
        insert_rows(connection, f"INSERT INTO {name}_{table}", list(zip(*rows, strict=True)))


Level = list[NDArray[np.void]]  # the nodes of one level, each an array of _CELL


def _pack(ids: NDArray[np.int64], boxes: NDArray[np.float32], capacity: int) -> list[Level]:
    """Sort-Tile-Recursive packing: the levels from the leaves up to the single root.

    At each level the cells are cut into vertical slices by centre x and each slice into
    nodes by centre y; the nodes' bounding boxes are the cells of the level above.
    """
    cells = np.empty(len(ids), dtype=_CELL)
    cells["id"], cells["box"] = ids, boxes
    levels: list[Level] = []
    while True:
        nodes = _tile(cells, capacity)
        levels.append(nodes)
        if len(nodes) == 1:
            return levels
        cells = np.empty(len(nodes), dtype=_CELL)
        cells["id"] = np.arange(len(nodes))  # placeholder: the node's number comes later
        cells["box"] = [_union(node["box"]) for node in nodes]


def _tile(cells: NDArray[np.void], capacity: int) -> Level:
    if len(cells) <= capacity:
        return [cells]
    count = math.ceil(len(cells) / capacity)
    per_slice = math.ceil(math.sqrt(count)) * capacity
    box = cells["box"].astype(np.float64)
    ordered = cells[np.argsort((box[:, 0] + box[:, 1]) / 2, kind="stable")]
    nodes: Level = []
    for start in range(0, len(ordered), per_slice):
        band = ordered[start : start + per_slice]
        band_box = band["box"].astype(np.float64)
        band = band[np.argsort((band_box[:, 2] + band_box[:, 3]) / 2, kind="stable")]
        nodes.extend(band[i : i + capacity] for i in range(0, len(band), capacity))
    return nodes


def _union(box: NDArray[np.float32]) -> list[float]:
    return [box[:, 0].min(), box[:, 1].max(), box[:, 2].min(), box[:, 3].max()]


def _number(
    levels: list[Level],
) -> tuple[list[tuple[int, NDArray[np.void], int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """Node numbers (root 1, then level by level from the top), the cells of each node with
    child ids replaced by node numbers, the leaf of every entry and the parent of every node.
    """
    depth = len(levels) - 1
    numbers: list[NDArray[np.int64]] = []
    next_number = 1
    for level in reversed(levels):
        numbers.insert(0, np.arange(next_number, next_number + len(level), dtype=np.int64))
        next_number += len(level)
    nodes: list[tuple[int, NDArray[np.void], int]] = []
    for height, level in enumerate(levels):
        for index, cells in enumerate(level):
            if height > 0:
                cells = cells.copy()
                cells["id"] = numbers[height - 1][cells["id"]]
            nodes.append((int(numbers[height][index]), cells, depth))
    return nodes, _owners(levels[0], numbers[0]), _parents(levels, numbers)


def _owners(level: Level, numbers: NDArray[np.int64]) -> list[tuple[int, int]]:
    """(entry id, node number) for every cell of ``level``."""
    if not level:
        return []
    ids = np.concatenate([cells["id"] for cells in level]).astype(np.int64)
    owner = np.repeat(numbers, [len(cells) for cells in level])
    order = np.argsort(ids)  # rowid order: appending to the B-tree is cheapest
    return list(zip(ids[order].tolist(), owner[order].tolist(), strict=True))


def _parents(levels: list[Level], numbers: list[NDArray[np.int64]]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for height in range(1, len(levels)):
        children = [numbers[height - 1][cells["id"]] for cells in levels[height]]
        owner = np.repeat(numbers[height], [len(c) for c in children])
        found += list(zip(np.concatenate(children).tolist(), owner.tolist(), strict=True))
    return found


def _blob(nodeno: int, cells: NDArray[np.void], depth: int, node_size: int) -> bytes:
    """A node as SQLite stores it; only the root (node 1) records the tree's depth."""
    header = (depth if nodeno == 1 else 0).to_bytes(2, "big") + len(cells).to_bytes(2, "big")
    body = header + cells.tobytes()
    return body + bytes(node_size - len(body))
