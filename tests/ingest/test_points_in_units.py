"""Points placed in unit polygons (issue 13, item 6): inside, outside, on a shared edge, in a
hole, in a multipolygon's part, and the same answer as geopandas' spatial join."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from geo_service.domain import WGS84
from geo_service.ingest.points_in_units import (
    NOT_PLACED,
    PROBLEM_COLUMNS,
    place_points,
    placement_problems,
)

# Two villages side by side sharing the edge x = 1, and a third with a hole.
LEFT, RIGHT = box(0, 0, 1, 1), box(1, 0, 2, 1)
RING = Polygon([(3, 0), (6, 0), (6, 3), (3, 3)], holes=[[(4, 1), (5, 1), (5, 2), (4, 2)]])
VILLAGES = np.array([LEFT, RIGHT, RING], dtype=object)


def placed(lon: list[float], lat: list[float], polygons: np.ndarray = VILLAGES) -> list[int]:
    return place_points(np.array(lon), np.array(lat), polygons).unit.tolist()


def test_points_inside_go_to_their_polygon() -> None:
    assert placed([0.5, 1.5, 3.5, 5.9], [0.5, 0.5, 0.5, 2.9]) == [0, 1, 2, 2]


def test_points_outside_every_polygon_and_in_a_hole_are_not_placed() -> None:
    placement = place_points(np.array([-1.0, 2.5, 4.5]), np.array([0.5, 0.5, 1.5]), VILLAGES)
    assert placement.unit.tolist() == [NOT_PLACED] * 3
    assert placement.located.all() and not placement.on_boundary.any()


def test_a_point_on_a_shared_edge_has_one_owner_by_the_tie_break() -> None:
    on_edge, corner = (1.0, 0.5), (1.0, 1.0)
    lon, lat = np.array([on_edge[0], corner[0]]), np.array([on_edge[1], corner[1]])
    by_position = place_points(lon, lat, VILLAGES)
    assert by_position.unit.tolist() == [0, 0]
    assert by_position.on_boundary.tolist() == [True, True]
    by_code = place_points(lon, lat, VILLAGES, tie_break=["07057-002", "07057-001", "X"])
    assert by_code.unit.tolist() == [1, 1]


def test_the_owner_of_an_edge_does_not_depend_on_the_order_of_the_file() -> None:
    codes = np.array(["A", "B", "C"], dtype=object)
    lon, lat = np.array([1.0, 0.5]), np.array([0.5, 0.5])
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        found = place_points(lon, lat, VILLAGES[order], tie_break=codes[order]).unit
        assert codes[order][found].tolist() == ["A", "A"]


def test_a_hole_filled_by_another_village_and_the_hole_s_ring() -> None:
    filling = box(4, 1, 5, 2)
    polygons = np.array([RING, filling], dtype=object)
    assert placed([4.5, 4.0, 3.5], [1.5, 1.5, 0.5], polygons) == [1, 0, 0]
    assert placed([4.0], [1.5], polygons[::-1]) == [0]  # the ring is shared: first one owns


def test_a_point_in_any_part_of_a_multipolygon() -> None:
    islands = MultiPolygon([box(10, 10, 11, 11), box(12, 10, 13, 11)])
    polygons = np.array([LEFT, islands], dtype=object)
    assert placed([10.5, 12.5, 11.5], [10.5, 10.5, 10.5], polygons) == [1, 1, NOT_PLACED]


def test_points_without_coordinates_and_polygons_without_geometry() -> None:
    polygons = np.array([None, shapely.Polygon(), LEFT], dtype=object)
    placement = place_points(np.array([0.5, np.nan, np.inf]), np.array([0.5, 0.5, 1.0]), polygons)
    assert placement.unit.tolist() == [2, NOT_PLACED, NOT_PLACED]
    assert placement.located.tolist() == [True, False, False]
    nothing = place_points(np.array([0.5]), np.array([0.5]), np.array([], dtype=object))
    assert nothing.unit.tolist() == [NOT_PLACED]


def test_counting_per_village_is_a_bincount_of_the_placement() -> None:
    placement = place_points(
        np.array([0.2, 0.8, 1.5, 9.0, 3.5]), np.array([0.5, 0.5, 0.5, 9.0, 0.5]), VILLAGES
    )
    assert placement.counts(len(VILLAGES)).tolist() == [2, 1, 1]


def test_polygons_prepared_by_the_caller_stay_prepared() -> None:
    polygons = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)], dtype=object)
    shapely.prepare(polygons[0])
    place_points(np.array([0.5]), np.array([0.5]), polygons)
    assert shapely.is_prepared(polygons).tolist() == [True, False]


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="one length"):
        place_points(np.array([0.5, 1.0]), np.array([0.5]), VILLAGES)
    with pytest.raises(ValueError, match="one key per polygon"):
        place_points(np.array([0.5]), np.array([0.5]), VILLAGES, tie_break=["A"])


def test_rows_outside_in_another_commune_or_without_a_point_are_reported() -> None:
    lon = np.array([0.5, 1.5, 9.0, np.nan, 3.5, 1.5])
    lat = np.array([0.5, 0.5, 9.0, np.nan, 0.5, 0.5])
    placement = place_points(lon, lat, VILLAGES)
    problems = placement_problems(
        placement,
        unit_codes=["01-001", "01-002", "02-001"],
        unit_communes=["01", "01", "02"],
        named_communes=["01", "02", "01", "01", "02", None],
    )
    assert list(problems.columns) == PROBLEM_COLUMNS
    assert problems.to_dict("records") == [
        {
            "row": 1,
            "problem": "other_commune",
            "unit_code": "01-002",
            "unit_commune": "01",
            "named_commune": "02",
        },
        {
            "row": 2,
            "problem": "outside",
            "unit_code": None,
            "unit_commune": None,
            "named_commune": "01",
        },
        {
            "row": 3,
            "problem": "no_point",
            "unit_code": None,
            "unit_commune": None,
            "named_commune": "01",
        },
    ]


def test_the_same_answer_as_geopandas_sjoin_on_random_villages() -> None:
    rng = np.random.default_rng(20250701)
    seeds = shapely.multipoints(rng.uniform(0, 10, size=(400, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box(-1, -1, 11, 11)))
    villages = shapely.intersection(cells, box(0, 0, 10, 10))
    # Some villages are left out, so some points fall outside every village.
    villages = villages[rng.random(villages.size) < 0.9]
    lon, lat = rng.uniform(-0.5, 10.5, 20_000), rng.uniform(-0.5, 10.5, 20_000)

    ours = place_points(lon, lat, villages).unit
    frame = gpd.GeoDataFrame(geometry=villages, crs=WGS84)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
    joined = gpd.sjoin(points, frame, predicate="within")
    theirs = np.full(lon.size, NOT_PLACED)
    theirs[joined.index.to_numpy()] = joined["index_right"].to_numpy()
    assert (ours == theirs).all()
    assert 0 < (ours == NOT_PLACED).sum() < lon.size
    counts = joined.groupby("index_right").size().reindex(range(villages.size), fill_value=0)
    assert (place_points(lon, lat, villages).counts(villages.size) == counts.to_numpy()).all()


def test_villages_of_very_different_sizes_and_crowded_cells() -> None:
    """Query boxes cover runs of points in cells the size of a typical village: a small
    village inside a cell, many points in one cell and lone points far apart all count."""
    rng = np.random.default_rng(11)
    seeds = np.vstack([rng.uniform(0, 100, (60, 2)), rng.normal(50, 0.5, (300, 2))])
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box(-10, -10, 110, 110))
    )
    villages = shapely.intersection(cells, box(0, 0, 100, 100))
    lon = np.r_[rng.normal(50, 1.0, 5_000), rng.uniform(0, 100, 50), [0.001, 99.999, 50.0]]
    lat = np.r_[rng.normal(50, 1.0, 5_000), rng.uniform(0, 100, 50), [99.999, 0.001, 50.0]]
    lon[:40], lat[:40] = 50.123, 49.877  # forty cameras at one post
    ours = place_points(lon, lat, villages).unit
    holders = [shapely.contains_xy(villages, x, y) for x, y in zip(lon, lat, strict=True)]
    assert all(found.sum() == 1 for found in holders)
    assert ours.tolist() == [int(np.argmax(found)) for found in holders]


@pytest.mark.parametrize(
    ("lon", "lat"),
    [([0.5], [0.5]), ([0.2, 0.2, 0.2], [0.7, 0.7, 0.7]), ([0.1, 0.5, 1.5], [0.5, 0.5, 0.5])],
)
def test_one_point_the_same_point_and_points_on_a_line(lon: list[float], lat: list[float]) -> None:
    expected = [0 if x < 1 else 1 for x in lon]
    assert placed(lon, lat) == expected
