"""Tiles as geometry: the grid, placement in the tile, clipping, simplification, encoding.

Decoded with mapbox-vector-tile's own decoder, as a map client reads them.
"""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import shapely

from geo_service.output.vector_tiles import (
    BUFFER_UNITS,
    EXTENT,
    Tile,
    TileOutOfRange,
    drawn_in_tile,
    encode_layer,
    tile_of,
)


def decoded(tile: bytes) -> dict:
    return mapbox_vector_tile.decode(tile, default_options={"y_coord_down": True})


def wiggly_ring(lon: float, lat: float, radius: float, vertices: int) -> shapely.Polygon:
    """A polygon with many vertices, each a little off a circle."""
    points = [
        (
            lon + radius * (1 + 0.01 * (k % 3)) * math.cos(2 * math.pi * k / vertices),
            lat + radius * (1 + 0.01 * (k % 3)) * math.sin(2 * math.pi * k / vertices),
        )
        for k in range(vertices)
    ]
    return shapely.Polygon(points)


def test_the_grid_is_web_mercator_xyz() -> None:
    assert Tile(0, 0, 0).lonlat_bounds() == pytest.approx((-180, -85.0511288, 180, 85.0511288))
    # Hanoi at zoom 10 (as slippy-map tile calculators give it)
    assert tile_of(105.85, 21.03, 10) == Tile(10, 813, 450)
    west, south, east, north = Tile(10, 813, 450).lonlat_bounds()
    assert west < 105.85 < east and south < 21.03 < north
    buffered = Tile(10, 813, 450).lonlat_bounds(buffered=True)
    assert buffered[0] < west and buffered[3] > north


@pytest.mark.parametrize(
    ("z", "x", "y", "message"),
    [
        (-1, 0, 0, "zoom -1 is outside 0..22"),
        (23, 0, 0, "zoom 23 is outside 0..22"),
        (2, 4, 0, "x = 4 is outside 0..3 at zoom 2"),
        (2, 0, -1, "y = -1 is outside 0..3 at zoom 2"),
    ],
)
def test_a_tile_off_the_grid_is_refused(z: int, x: int, y: int, message: str) -> None:
    with pytest.raises(TileOutOfRange, match=message):
        Tile(z, x, y)


def test_geometry_is_clipped_to_the_tile_and_its_buffer() -> None:
    tile = Tile(10, 813, 450)
    west, south, east, north = tile.lonlat_bounds()
    larger = shapely.box(west - 1, south - 1, east + 1, north + 1)
    far_away = shapely.box(west + 5, south + 5, east + 5, north + 5)
    drawn = drawn_in_tile([larger, far_away], tile)
    assert drawn[1] is None
    grown = (-BUFFER_UNITS, -BUFFER_UNITS, EXTENT + BUFFER_UNITS, EXTENT + BUFFER_UNITS)
    assert drawn[0].bounds == grown


def test_simplification_keeps_fewer_vertices_at_lower_zooms() -> None:
    village = wiggly_ring(105.85, 21.03, 0.01, 2000)  # about 2 km across
    vertices = {}
    for z in (8, 10, 12):  # the whole village lies in the tile at each zoom
        (drawn,) = drawn_in_tile([village], tile_of(105.85, 21.03, z))
        assert drawn.is_valid
        vertices[z] = shapely.get_num_coordinates(drawn)
    assert vertices[8] < vertices[10] < vertices[12] <= 2001
    assert vertices[8] <= 20  # a few pixels across at zoom 8


def test_encoded_features_keep_their_attributes_and_stay_in_the_extent() -> None:
    tile = Tile(12, 3252, 1804)
    west, south, east, north = tile.lonlat_bounds()
    inside = shapely.box(west, south, (west + east) / 2, (south + north) / 2)
    point = shapely.Point((west + east) / 2, (south + north) / 2)
    layer = encode_layer(
        "things",
        drawn_in_tile([inside, point], tile),
        [{"code": "A", "count": 3, "missing": None}, {"code": "B", "count": 0, "missing": None}],
    )
    features = decoded(layer)["things"]["features"]
    assert [feature["properties"] for feature in features] == [
        {"code": "A", "count": 3},
        {"code": "B", "count": 0},
    ]
    (ring,) = features[0]["geometry"]["coordinates"]
    assert all(0 <= x <= EXTENT and 0 <= y <= EXTENT for x, y in ring)
    # the south-west quarter: x from 0, y (down) from the middle to the bottom
    assert {x for x, _ in ring} == {0, EXTENT // 2}
    assert {y for _, y in ring} == {EXTENT // 2, EXTENT}
    assert features[1]["geometry"] == {"type": "Point", "coordinates": [EXTENT // 2, EXTENT // 2]}


def test_a_tile_without_features_is_empty() -> None:
    assert encode_layer("things", [None], [{"code": "A"}]) == b""
    assert encode_layer("things", [], []) == b""
