"""Split GEOS work gives exactly what one call gives, in the same order."""

from __future__ import annotations

import numpy as np
import shapely

from geo_service.ingest.halves import in_halves


def _polygons(count: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    x, y = rng.random(count) * 10, rng.random(count) * 10
    boxes = shapely.box(x, y, x + 0.01, y + 0.01)
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])  # invalid
    boxes[::997] = bowtie
    return np.asarray(boxes, dtype=object)


def test_large_arrays_split_and_keep_order() -> None:
    geometries = _polygons(25_001)
    valid = in_halves(shapely.is_valid, geometries)
    assert valid.tolist() == shapely.is_valid(geometries).tolist()
    assert (~valid).sum() == len(range(0, 25_001, 997))
    labels = in_halves(shapely.point_on_surface, geometries)
    assert len(labels) == len(geometries)
    assert shapely.equals_exact(labels, shapely.point_on_surface(geometries)).all()


def test_small_arrays_are_computed_in_one_call() -> None:
    geometries = _polygons(10)
    assert in_halves(shapely.is_valid, geometries).tolist() == shapely.is_valid(geometries).tolist()
    assert len(in_halves(shapely.is_valid, geometries[:0])) == 0
