"""Points placed in unit polygons: which village holds each camera or team-post point
(issue 13, item 6).

It lives in ingest because placing is part of reading a register or a point layer: a site
is stored with its point *and* the unit it was placed in, and coverage keeps counting sites
by their unit code. Pure: coordinate arrays in (EPSG:4326, lon/lat), positions out.

The method, measured in ``bench/bench_placement.py``: the points are cut into runs of at
most ``RUN_LENGTH`` nearby points (``_candidate_pairs``); the bounding box of each run is
queried in bulk against an ``STRtree`` of the polygons, and every point of a run is tested
with ``shapely.contains_xy`` against each prepared polygon its box meets. Nothing is made
per point: shapely geometries are tracked by Python's cyclic garbage collector, and making
a point object for each of a million points cost more in collections than all the
geometry tests (a tree of the points, as ``bench_coverage.assign_points`` builds, measured
slower: docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

NOT_PLACED = -1
RUN_LENGTH = 8  # points per query box: fewer boxes to make, more pairs to test
_Z_BITS = 16  # bits per axis of the Z-order code (65,536 steps across the points' extent)
PROBLEM_COLUMNS = ["row", "problem", "unit_code", "unit_commune", "named_commune"]


@dataclass(frozen=True)
class Placement:
    """Where each point fell.

    ``unit``: position of the polygon holding the point, ``NOT_PLACED`` where none does.
    ``located``: whether the point had finite coordinates at all.
    ``on_boundary``: placed by its boundary (on an edge, inside no polygon's interior).
    """

    unit: NDArray[np.intp]
    located: NDArray[np.bool_]
    on_boundary: NDArray[np.bool_]

    def counts(self, units: int) -> NDArray[np.int64]:
        """Points per polygon position (length ``units``)."""
        counts: NDArray[np.int64] = np.bincount(
            self.unit[self.unit != NOT_PLACED], minlength=units
        ).astype(np.int64)
        return counts


def place_points(
    lon: ArrayLike,
    lat: ArrayLike,
    polygons: NDArray[np.object_],
    tie_break: ArrayLike | None = None,
) -> Placement:
    """The polygon holding each point, decided in bulk (no per-point Python).

    A point in the interior of one polygon goes to it. A point that no interior holds but
    that lies on a boundary (an edge shared by two villages, a hole's ring) goes to one of
    the polygons whose boundary holds it. Where several qualify (an edge, overlapping
    polygons), the owner is the one with the smallest ``tie_break`` key (default: its
    position); pass the unit codes so the owner does not depend on the file's order.
    Points in a hole, outside every polygon, or with non-finite coordinates are
    ``NOT_PLACED``. Missing or empty polygons hold nothing.
    """
    x, y = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    polygons = np.asarray(polygons, dtype=object)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"lon and lat must be 1-d arrays of one length: {x.shape}, {y.shape}")
    located = np.isfinite(x) & np.isfinite(y)
    unit = np.full(x.size, NOT_PLACED, dtype=np.intp)
    on_boundary = np.zeros(x.size, dtype=bool)
    rows = np.flatnonzero(located)
    if rows.size == 0 or polygons.size == 0:
        return Placement(unit, located, on_boundary)
    rank = _ranks(tie_break, polygons.size)
    x, y = x[rows], y[rows]
    point_at, polygon_at = _candidate_pairs(x, y, polygons)
    newly_prepared = ~shapely.is_prepared(polygons)
    shapely.prepare(polygons[newly_prepared])
    try:
        candidates = polygons[polygon_at]
        inside = shapely.contains_xy(candidates, x[point_at], y[point_at])
        best = np.full(rows.size, polygons.size, dtype=np.intp)  # a rank no polygon has
        np.minimum.at(best, point_at[inside], rank[polygon_at[inside]])
        # Rare: points that no interior holds are tested against the boundaries as well.
        open_pairs = best[point_at] == polygons.size
        touching = np.zeros(polygon_at.size, dtype=bool)
        touching[open_pairs] = shapely.intersects_xy(
            candidates[open_pairs], x[point_at[open_pairs]], y[point_at[open_pairs]]
        )
    finally:
        shapely.destroy_prepared(polygons[newly_prepared])
    np.minimum.at(best, point_at[touching], rank[polygon_at[touching]])
    placed = best < polygons.size
    by_rank = np.argsort(rank)
    unit[rows[placed]] = by_rank[best[placed]]
    on_boundary[rows[np.unique(point_at[touching])]] = True
    return Placement(unit, located, on_boundary)


def _candidate_pairs(
    x: NDArray[np.float64], y: NDArray[np.float64], polygons: NDArray[np.object_]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(point, polygon) position pairs to test: each point with every polygon whose
    bounding box meets the box of the point's run.

    Points are ordered along a Z-order curve, so that consecutive points lie close
    together, and cut into runs of at most ``RUN_LENGTH`` points that never leave one
    cell of a grid whose cells are at least the size of a typical polygon: a run's box
    is small where points are dense, and never larger than a cell where they are not.
    """
    usable = ~(shapely.is_missing(polygons) | shapely.is_empty(polygons))
    if not usable.any():
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    bounds = shapely.bounds(polygons[usable])
    typical = np.median(bounds[:, 2:] - bounds[:, :2], axis=0)
    low = np.array([x.min(), y.min()])
    extent = np.array([x.max(), y.max()]) - low
    scale = np.where(extent > 0, (2**_Z_BITS - 1) / np.where(extent > 0, extent, 1), 0)
    code = _z_order(((x - low[0]) * scale[0]).astype(np.uint64)) | (
        _z_order(((y - low[1]) * scale[1]).astype(np.uint64)) << np.uint64(1)
    )
    order = np.argsort(code)
    code = code[order]
    with np.errstate(divide="ignore"):  # a zero-size polygon or extent: no finer than that
        halvings = np.log2(np.where(typical > 0, extent / typical, np.inf))
    level = int(np.clip(np.floor(halvings.min()), 0, _Z_BITS))
    cell = code >> np.uint64(2 * (_Z_BITS - level))
    first_of_cell = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    cell_start = np.repeat(first_of_cell, np.diff(np.r_[first_of_cell, cell.size]))
    run_start = np.flatnonzero((np.arange(cell.size) - cell_start) % RUN_LENGTH == 0)
    xs, ys = x[order], y[order]
    boxes = shapely.box(
        np.minimum.reduceat(xs, run_start),
        np.minimum.reduceat(ys, run_start),
        np.maximum.reduceat(xs, run_start),
        np.maximum.reduceat(ys, run_start),
    )
    run_at, polygon_at = shapely.STRtree(polygons).query(boxes)
    run_length = np.diff(np.r_[run_start, cell.size])[run_at]
    first_pair = np.cumsum(run_length) - run_length
    within_run = np.arange(int(run_length.sum())) - np.repeat(first_pair, run_length)
    sorted_point = np.repeat(run_start[run_at], run_length) + within_run
    return order[sorted_point], np.repeat(polygon_at, run_length)


def _z_order(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The bits of 16-bit values spread to every other bit (one axis of a Z-order code)."""
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        values = (values | (values << np.uint64(shift))) & np.uint64(mask)
    return values


def _ranks(tie_break: ArrayLike | None, size: int) -> NDArray[np.intp]:
    """Each polygon's rank by ``tie_break`` (ties by position), 0 first."""
    if tie_break is None:
        return np.arange(size, dtype=np.intp)
    keys = np.asarray(tie_break)
    if keys.shape != (size,):
        raise ValueError(f"tie_break needs one key per polygon ({size}), got {keys.shape}")
    rank = np.empty(size, dtype=np.intp)
    rank[np.argsort(keys, kind="stable")] = np.arange(size, dtype=np.intp)
    return rank


def placement_problems(
    placement: Placement,
    unit_codes: ArrayLike,
    unit_communes: ArrayLike,
    named_communes: ArrayLike,
) -> pd.DataFrame:
    """The rows to report, one line each (``PROBLEM_COLUMNS``), in row order.

    ``problem`` is ``no_point`` (no finite coordinates), ``outside`` (in no unit) or
    ``other_commune`` (placed in a unit whose commune is not the one the row names).
    ``unit_codes`` and ``unit_communes`` are per polygon position; ``named_communes`` per
    row, None where the row names no commune (then only where it fell is known).
    """
    codes = np.asarray(unit_codes, dtype=object)
    communes = np.asarray(unit_communes, dtype=object)
    named = np.asarray(named_communes, dtype=object)
    unit = placement.unit
    if named.shape != unit.shape:
        raise ValueError(f"named_communes needs one entry per point ({unit.size})")
    placed = unit != NOT_PLACED
    unit_code = np.full(unit.size, None, dtype=object)
    unit_commune = np.full(unit.size, None, dtype=object)
    unit_code[placed], unit_commune[placed] = codes[unit[placed]], communes[unit[placed]]
    names_one = pd.notna(named)
    other = placed & names_one & (unit_commune != named)
    problem = np.full(unit.size, None, dtype=object)
    problem[~placement.located] = "no_point"
    problem[placement.located & ~placed] = "outside"
    problem[other] = "other_commune"
    rows = np.flatnonzero(pd.notna(problem))
    named_rows = named[rows]
    named_rows[~names_one[rows]] = None  # NaN and pd.NA alike
    texts = (problem[rows], unit_code[rows], unit_commune[rows], named_rows)
    # Object columns keep None for "no unit" (pandas would make text columns of NaN).
    frame = pd.DataFrame({"row": rows})
    for column, values in zip(PROBLEM_COLUMNS[1:], texts, strict=True):
        frame[column] = pd.Series(values, dtype=object)
    return frame[PROBLEM_COLUMNS]


@dataclass(frozen=True)
class VillagePlacement:
    """Where each site's point fell among the villages (``place_in_villages``).

    ``code``: the village code per point, None where it fell in none. ``problems``: the
    points to report (``placement_problems`` columns), where ``other_commune`` means that
    the village was never under the commune the row names, in any period.
    """

    code: NDArray[np.object_]
    problems: pd.DataFrame


def place_in_villages(
    lon: ArrayLike, lat: ArrayLike, villages: pd.DataFrame, named_communes: ArrayLike
) -> VillagePlacement:
    """Place each point in its village by point-in-polygon, as a register import does.

    ``villages`` are village rows of every period (code, parent_code, valid_from,
    geometry); a code is placed by its latest geometry, and its communes are every parent
    it has had, so a row naming a commune from before the 2025 reform still agrees with a
    village carried forward under the successor. ``named_communes``: the commune each
    row names (None: not checked).
    """
    drawn = villages[~(shapely.is_missing(villages.geometry) | shapely.is_empty(villages.geometry))]
    latest = drawn.sort_values(["code", "valid_from"], na_position="first", kind="stable")
    latest = latest.drop_duplicates("code", keep="last")
    codes = latest["code"].to_numpy(dtype=object)
    placement = place_points(lon, lat, latest.geometry.to_numpy(), tie_break=codes)
    problems = placement_problems(
        placement, codes, latest["parent_code"].to_numpy(dtype=object), named_communes
    )
    other = problems["problem"] == "other_commune"
    if other.any():
        ever = pd.MultiIndex.from_arrays(
            [
                villages["code"].to_numpy(dtype=object),
                villages["parent_code"].to_numpy(dtype=object),
            ]
        )
        named = problems.loc[other, ["unit_code", "named_commune"]]
        once_under = pd.MultiIndex.from_frame(named).isin(ever)
        problems = problems.drop(index=named.index[once_under]).reset_index(drop=True)
    placed = placement.unit != NOT_PLACED
    code = np.full(placement.unit.size, None, dtype=object)
    code[placed] = codes[placement.unit[placed]]
    return VillagePlacement(code, problems)
