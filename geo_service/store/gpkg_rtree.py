"""Build the units R-tree in bulk, for imports too large to insert entry by entry.

SQLite's R*Tree inserts one entry at a time (choose a leaf, split, re-insert), slow for
the 80,000 entries of a national village import. For a large batch the whole tree is
instead packed at once (Sort-Tile-Recursive) and written straight into the R-tree's three
shadow tables, as GDAL does when it builds a GeoPackage spatial index.

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
    """Every (id, (minx, maxx, miny, maxy)) of R-tree ``name``, as stored (32-bit floats).

    Read from the leaf nodes' blobs (those ``<name>_rowid`` points to) rather than through
    the virtual table, which returns each coordinate as a separate Python float.
    """
    leaves = connection.execute(
        f"SELECT data FROM {name}_node WHERE nodeno IN (SELECT nodeno FROM {name}_rowid)"
    ).fetchall()
    cells = [
        np.frombuffer(data, dtype=_CELL, count=int.from_bytes(data[2:4], "big"), offset=4)
        for (data,) in leaves
    ]
    if not cells:
        return np.empty(0, dtype=np.int64), np.empty((0, 4), dtype=np.float32)
    found = np.concatenate(cells)
    return found["id"].astype(np.int64), found["box"].astype(np.float32)


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
    """A whole R-tree, laid out: the rows of its three shadow tables, column by column."""

    nodes: list[tuple[int, bytes]]
    rowids: tuple[list[int], list[int]]
    parents: tuple[list[int], list[int]]


def node_size(connection: sqlite3.Connection, name: str) -> int:
    (size,) = connection.execute(
        f"SELECT length(data) FROM {name}_node WHERE nodeno = 1"
    ).fetchone()
    return int(size)


def pack(ids: NDArray[np.int64], boxes: NDArray[np.float32], node_bytes: int) -> PackedTree:
    """Lay out an R-tree of these entries (ids unique) in nodes of ``node_bytes``.

    Sort-Tile-Recursive, level by level from the leaves: the cells are cut into vertical
    slices by centre x and each slice into nodes by centre y; the nodes' bounding boxes are
    the cells of the level above. A slice holds a whole number of nodes, so after one sort
    per level every node is a run of consecutive cells and everything is array arithmetic.
    Node 1 is the root; the others are numbered level by level from the top.
    """
    capacity = min(_MAX_CELLS, (node_bytes - _HEADER_BYTES) // _CELL.itemsize)
    cells = np.empty(len(ids), dtype=_CELL)
    cells["id"], cells["box"] = ids, boxes.astype(np.float32)
    levels: list[NDArray[np.void]] = []  # each level's cells in node order, leaves first
    while True:
        cells = cells[_str_order(cells["box"], capacity)]
        levels.append(cells)
        if len(cells) <= capacity:
            break
        starts = np.arange(0, len(cells), capacity)
        box = cells["box"]
        cells = np.empty(len(starts), dtype=_CELL)
        cells["id"] = np.arange(len(starts))  # the node's index in its level, for now
        cells["box"] = np.column_stack(
            [
                np.minimum.reduceat(box[:, 0], starts),
                np.maximum.reduceat(box[:, 1], starts),
                np.minimum.reduceat(box[:, 2], starts),
                np.maximum.reduceat(box[:, 3], starts),
            ]
        )
    node_counts = [max(1, -(-len(level) // capacity)) for level in levels]
    first_number = np.cumsum([1, *node_counts[::-1]])[::-1][1:]  # per level, leaves first
    nodes: list[tuple[int, bytes]] = []
    parents: list[NDArray[np.int64]] = []
    children: list[NDArray[np.int64]] = []
    for height, level in enumerate(levels):
        if height:  # cells point at nodes of the level below: index -> node number
            level = level.copy()
            children.append(level["id"] + first_number[height - 1])
            level["id"] = children[-1]
            parents.append(first_number[height] + np.arange(len(level)) // capacity)
        depth = len(levels) - 1 if height == len(levels) - 1 else 0
        nodes += _blobs(level, int(first_number[height]), capacity, depth, node_bytes)
    leaf = first_number[0] + np.arange(len(levels[0])) // capacity
    order = np.argsort(levels[0]["id"])  # rowid order: appending to the B-tree is cheapest
    rowids = (levels[0]["id"][order].astype(np.int64).tolist(), leaf[order].tolist())
    child = np.concatenate(children) if children else np.empty(0, dtype=np.int64)
    parent = np.concatenate(parents) if parents else np.empty(0, dtype=np.int64)
    return PackedTree(nodes, rowids, (child.tolist(), parent.tolist()))


def write(connection: sqlite3.Connection, name: str, tree: PackedTree) -> None:
    """Replace the whole content of R-tree ``name`` by ``tree``."""
    for table in ("node", "rowid", "parent"):
        connection.execute(f"DELETE FROM {name}_{table}")
    connection.executemany(f"INSERT INTO {name}_node VALUES (?, ?)", tree.nodes)
    for table, columns in (("rowid", tree.rowids), ("parent", tree.parents)):
        insert_rows(connection, f"INSERT INTO {name}_{table}", columns)


def _str_order(boxes: NDArray[np.float32], capacity: int) -> NDArray[np.intp]:
    """The order that tiles these cells: by vertical slice, then by centre y."""
    if len(boxes) <= capacity:
        return np.arange(len(boxes))
    box = boxes.astype(np.float64)
    per_slice = math.ceil(math.sqrt(math.ceil(len(box) / capacity))) * capacity
    by_x = np.argsort((box[:, 0] + box[:, 1]) / 2, kind="stable")
    band = np.empty(len(box), dtype=np.intp)
    band[by_x] = np.arange(len(box)) // per_slice
    return np.lexsort(((box[:, 2] + box[:, 3]) / 2, band))


def _blobs(
    cells: NDArray[np.void], first: int, capacity: int, depth: int, node_bytes: int
) -> list[tuple[int, bytes]]:
    """The nodes holding ``cells`` (runs of ``capacity``) as SQLite stores them; only the
    root records the tree's depth."""
    count = max(1, -(-len(cells) // capacity))  # an empty tree still has its root
    raw = np.zeros((count, node_bytes), dtype=np.uint8)
    header = np.zeros(count, dtype=[("depth", ">u2"), ("cells", ">u2")])
    header["depth"] = depth
    header["cells"] = np.minimum(capacity, len(cells) - np.arange(count) * capacity)
    raw[:, :_HEADER_BYTES] = header.view(np.uint8).reshape(count, _HEADER_BYTES)
    body = np.zeros(count * capacity * _CELL.itemsize, dtype=np.uint8)
    body[: len(cells) * _CELL.itemsize] = cells.view(np.uint8)
    width = capacity * _CELL.itemsize
    raw[:, _HEADER_BYTES : _HEADER_BYTES + width] = body.reshape(count, width)
    return [(first + index, row.tobytes()) for index, row in enumerate(raw)]
