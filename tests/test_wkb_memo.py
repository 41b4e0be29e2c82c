"""Geometries that pass through an import unchanged are written with the WKB they were read
from: the blobs must be byte for byte what encoding them would write, and only plain 2D
little-endian MultiPolygon WKB may be reused."""

from __future__ import annotations

import inspect
import shutil
import sqlite3
import struct
import threading
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from bench.bench_import import template_store, write_inputs
from geo_service import changes, pipeline, wkb_memo
from geo_service.ingest.layers import decode_wkb
from geo_service.store import gpkg_geometry, open_store
from geo_service.validate import ValidationReport

SQUARE = box(105.0, 21.0, 105.01, 21.01)
MULTI = MultiPolygon([SQUARE])


def _big_endian(geometry: Any) -> bytes:
    return bytes(shapely.to_wkb(geometry, byte_order=0))


def _unclosed_ring_polygon() -> bytes:
    ring = [(105.0, 21.0), (105.01, 21.0), (105.01, 21.01), (105.0, 21.01)]
    body = struct.pack("<BIII", 1, 3, 1, len(ring))
    return body + b"".join(struct.pack("<dd", x, y) for x, y in ring)


def test_only_plain_2d_little_endian_multipolygons_are_remembered_and_only_in_a_scope() -> None:
    wkb = np.asarray(
        [
            shapely.to_wkb(MULTI, byte_order=1),  # reused as is
            shapely.to_wkb(SQUARE, byte_order=1),  # becomes a MultiPolygon: reused
            _big_endian(MULTI),  # big-endian: encoded again
            # EWKB with an SRID: encoded again
            shapely.to_wkb(shapely.set_srid(MULTI, 4326), byte_order=1, include_srid=True),
            _unclosed_ring_polygon(),  # repaired: a new geometry, encoded again
            None,
        ],
        dtype=object,
    )
    rows = np.arange(1, len(wkb) + 1)
    with wkb_memo.scope():
        geometry = decode_wkb(wkb.copy(), rows, ValidationReport("test.gpkg"))
        found, remembered = wkb_memo.known(geometry)
        encoded = gpkg_geometry._to_wkb(geometry)
    assert remembered.tolist() == [True, True, False, False, False, False]
    assert found[0] == encoded[0] == wkb[0]
    assert found[1] == encoded[1] == b"\x01\x06\x00\x00\x00\x01\x00\x00\x00" + wkb[1]
    # With heights in the file every geometry is made 2D: new objects, encoded again.
    with wkb_memo.scope():
        with_z = np.asarray([wkb[0], shapely.to_wkb(shapely.force_3d(MULTI))], dtype=object)
        flattened = decode_wkb(with_z, rows[:2], ValidationReport("test.gpkg"))
        assert not wkb_memo.known(flattened)[1].any()
    # Outside (and after) a scope nothing is remembered.
    assert not wkb_memo.known(geometry)[1].any()
    decode_wkb(wkb.copy(), rows, ValidationReport("test.gpkg"))
    assert not wkb_memo.known(geometry)[1].any()


def test_wkb_that_is_not_bytes_is_not_remembered() -> None:
    wkb = np.empty(1, dtype=object)
    wkb[0] = bytearray(shapely.to_wkb(MULTI, byte_order=1))
    geometry = np.asarray([shapely.from_wkb(bytes(wkb[0]))], dtype=object)
    with wkb_memo.scope():
        wkb_memo.remember(geometry, wkb)
        assert not wkb_memo.known(geometry)[1].any()


def test_another_thread_does_not_see_this_threads_memo() -> None:
    seen: list[bool] = []
    with wkb_memo.scope():
        geometry = decode_wkb(
            np.asarray([shapely.to_wkb(MULTI, byte_order=1)], dtype=object),
            np.asarray([1]),
            ValidationReport("test.gpkg"),
        )
        assert wkb_memo.known(geometry)[1].all()
        other = threading.Thread(target=lambda: seen.append(wkb_memo.known(geometry)[1].any()))
        other.start()
        other.join(10)
    assert seen == [False]


def _mixed_village_file(folder: Path) -> tuple[Path, Path]:
    """The benchmark's village file (Polygons), with one-part and two-part MultiPolygons, holes
    mixed in; and a store holding its parents."""
    parents, villages, _ = write_inputs(seed=5, scale=0.01, folder=folder)
    frame = pyogrio.read_dataframe(villages)
    polygons = shapely.get_parts(frame.geometry.to_numpy())
    assert len(polygons) == len(frame)
    geometry = polygons.astype(object)
    geometry[::3] = [MultiPolygon([p]) for p in polygons[::3]]
    geometry[1::7] = [
        Polygon(p.exterior.coords, [p.centroid.buffer(1e-4).exterior.coords])
        for p in polygons[1::7]
    ]
    geometry[2::11] = [
        MultiPolygon([p, shapely.affinity.translate(p, 0.5, 0.5)]) for p in polygons[2::11]
    ]
    mixed = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geometry, crs=frame.crs)
    path = folder / "mixed.gpkg"
    pyogrio.write_dataframe(mixed, path, layer="villages", driver="GPKG")
    return path, template_store(parents, folder)


def _blobs(path: Path) -> list[tuple[str, bytes | None]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT code, geom FROM units ORDER BY code").fetchall()


def _count_encodings(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[int]:
    """How many geometries each call of ``module._to_wkb`` encodes, from now on (it still
    encodes them)."""
    counts: list[int] = []
    to_wkb = module._to_wkb

    def counting(geometries: Any) -> Any:
        counts.append(len(geometries))
        return to_wkb(geometries)

    monkeypatch.setattr(module, "_to_wkb", counting)
    return counts


def test_an_import_writes_the_same_blobs_with_and_without_reuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    villages, template = _mixed_village_file(tmp_path)
    reused, encoded = tmp_path / "reused.gpkg", tmp_path / "encoded.gpkg"
    shutil.copyfile(template, reused)
    shutil.copyfile(template, encoded)

    encoded_counts = _count_encodings(monkeypatch, gpkg_geometry)
    outcome = pipeline.import_boundaries(open_store(str(reused)), villages)
    assert outcome.import_id is not None
    # Every village geometry was written from the file's WKB, but for those the import
    # repaired (new geometries): only they were encoded.
    villages_written = outcome.counts["units"]
    repaired = [p for p in outcome.report.problems if p.code == "repaired_geometry"]
    assert villages_written > 300
    assert 0 < len(repaired) < 20
    assert encoded_counts == [len(repaired)]
    # The import without a memo scope encodes everything itself...
    encoded_counts.clear()
    plain_import = inspect.unwrap(pipeline.import_boundaries)
    assert plain_import(open_store(str(encoded)), villages).import_id is not None
    assert sum(encoded_counts) >= villages_written - 1
    # ...and writes exactly the same bytes.
    assert _blobs(reused) == _blobs(encoded)
    assert pyogrio.read_info(reused, layer="units")["features"] == len(_blobs(reused))


def test_identities_read_from_the_array_are_the_objects_ids() -> None:
    geometries = np.asarray(shapely.multipolygons([[box(i, 0, i + 1, 1)] for i in range(500)]))
    every_other = geometries[::2]  # not contiguous: read from a contiguous copy
    for array in (geometries, every_other, geometries[:0], np.asarray([None, MULTI], dtype=object)):
        assert wkb_memo._identities(array).tolist() == [id(g) for g in array]


def test_a_reimport_compares_the_stored_and_the_read_wkb_without_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    villages, template = _mixed_village_file(tmp_path)
    store = open_store(str(template))
    first = pipeline.import_boundaries(store, villages)
    repaired = sum(p.code == "repaired_geometry" for p in first.report.problems)

    encoded_counts = _count_encodings(monkeypatch, changes)
    again = pipeline.import_boundaries(store, villages)
    assert not again.changed
    assert again.changes["units"] == changes.TableChanges(unchanged=first.counts["units"])
    # Stored geometries are compared with the WKB they were read from; of the file's, only
    # the ones repaired on reading are new objects that need encoding.
    assert encoded_counts == [repaired]
    # Without the memo every geometry on both sides is encoded, with the same verdict.
    encoded_counts.clear()
    plain = inspect.unwrap(pipeline.import_boundaries)(store, villages, dry_run=True)
    assert plain.changes == again.changes
    assert sum(encoded_counts) == 2 * first.counts["units"]
