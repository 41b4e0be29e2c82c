"""OGC items read through the coverage cache and the store's spatial index.

- The answers equal those of the former reads (coverage of the whole tree computed for
  the request, with geometry, filtered by a spatial index over it), on the demo store and
  on a generated country, for a commune's bbox in every collection, paged, and across
  the antimeridian.
- Once a day's national view is kept, a commune's bbox items compute no coverage and
  read no unit without a filter (no whole-country read); a collection's description
  reads its extent once per store generation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import shapely
from fastapi.testclient import TestClient

from bench.generate import generate
from bench.national_store import write_store
from geo_service.api.ogc.collections import COLLECTIONS
from geo_service.api.ogc.reads import units_meeting
from geo_service.api.serialise import feature_collection
from geo_service.api.views import with_place_names
from geo_service.app import create_app
from geo_service.coverage.reads import coverage_as_of
from geo_service.settings import Settings
from geo_service.store import ImportBatch, ImportSource, Store, UnitQuery, open_store
from geo_service.values import plain

TODAY = date.today()


@pytest.fixture(scope="module")
def generated_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_store(generate(11, 0.005), tmp_path_factory.mktemp("ogc-gen") / "gen.gpkg")


def _commune_bboxes(store: Store, count: int) -> list[str]:
    communes = store.units(UnitQuery(as_of=TODAY, level=3, limit=count, order=("code",)))
    return [",".join(str(round(v, 6)) for v in geometry.bounds) for geometry in communes.geometry]


def former_items(store: Store, collection: str, bbox: str, offset: int, limit: int) -> Any:
    """A page of items as the OGC API read them before: coverage of the whole tree with
    geometry for the request, filtered by a spatial index built over it."""
    spec = COLLECTIONS[collection]
    view = coverage_as_of(store, Settings(store_path="unused.gpkg").coverage, TODAY)
    features = spec.features(view)
    west, south, east, north = (float(v) for v in bbox.split(","))
    boxes = (
        [shapely.box(west, south, east, north)]
        if west <= east
        else [shapely.box(west, south, 180, north), shapely.box(-180, south, east, north)]
    )
    found = [features.sindex.query(box, predicate="intersects") for box in boxes]
    features = features.iloc[np.sort(np.unique(np.concatenate(found)))]
    matched = features.sort_values(spec.id_column, kind="stable")
    page = matched.iloc[offset : offset + limit]
    if spec.place_names:
        page = with_place_names(store, TODAY, page)
    body = orjson.loads(feature_collection(page, spec.columns, id_column=spec.id_column))
    return len(matched), body["features"]


@pytest.mark.parametrize("store_name", ["demo", "generated"])
def test_bbox_items_equal_the_former_reads(
    demo_gpkg: Path, generated_gpkg: Path, store_name: str
) -> None:
    path = demo_gpkg if store_name == "demo" else generated_gpkg
    store = open_store(str(path))
    bboxes = [*_commune_bboxes(store, 2), "179,-10,-179,10"]
    with TestClient(create_app(Settings(store_path=path, demo=False))) as client:
        for collection in COLLECTIONS:
            for bbox in bboxes:
                for offset, limit in ((0, 100), (2, 3)):
                    params = {"bbox": bbox, "offset": offset, "limit": limit, "f": "json"}
                    response = client.get(f"/ogc/collections/{collection}/items", params=params)
                    assert response.status_code == 200, response.text
                    body = response.json()
                    matched, features = former_items(store, collection, bbox, offset, limit)
                    assert body["numberMatched"] == matched
                    assert body["features"] == orjson.loads(orjson.dumps(features, default=plain))


def test_a_communes_bbox_items_compute_nothing_and_read_no_country(
    generated_gpkg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(str(generated_gpkg))
    (bbox,) = _commune_bboxes(store, 1)
    with TestClient(create_app(Settings(store_path=generated_gpkg, demo=False))) as client:
        assert client.get("/ogc/collections/villages/items", params={"limit": 1}).is_success
        app_state = client.app.state  # type: ignore[attr-defined]
        computed = app_state.coverage_cache.computed
        queries: list[UnitQuery] = []
        served = app_state.store
        reads = served.units

        def recorded(query: UnitQuery | None = None) -> Any:
            queries.append(query or UnitQuery())
            return reads(query)

        monkeypatch.setattr(served, "units", recorded)
        for collection in ("villages", "communes", "gaps"):
            response = client.get(f"/ogc/collections/{collection}/items", params={"bbox": bbox})
            assert response.status_code == 200
            assert response.json()["numberReturned"] > 0
        assert app_state.coverage_cache.computed == computed
        assert queries
        for query in queries:
            assert query.bbox or query.codes or query.parent_codes, query


def test_a_collections_extent_is_read_once_per_store_generation(
    demo_copy_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(Settings(store_path=demo_copy_path, demo=False))) as client:
        first = client.get("/ogc/collections/villages", params={"f": "json"}).json()
        served = client.app.state.store  # type: ignore[attr-defined]
        reads = served.units
        geometry_read: list[UnitQuery] = []

        def recorded(query: UnitQuery | None = None) -> Any:
            if query is not None and query.with_geometry:
                geometry_read.append(query)
            return reads(query)

        monkeypatch.setattr(served, "units", recorded)
        assert client.get("/ogc/collections/villages", params={"f": "json"}).json() == first
        assert geometry_read == []
        # An import (one village moved far east) makes a new extent.
        village = reads(UnitQuery(as_of=TODAY, level=4, limit=1))
        moved = village.copy()
        moved["geometry"] = shapely.affinity.translate(village.geometry.iloc[0], 5.0, 0.0)
        open_store(str(demo_copy_path)).apply(
            ImportBatch(ImportSource("villages", "moved.gpkg", "0" * 64), units=moved)
        )
        after = client.get("/ogc/collections/villages", params={"f": "json"}).json()
        east = after["extent"]["spatial"]["bbox"][0][2]
        assert east > first["extent"]["spatial"]["bbox"][0][2]
        assert geometry_read


def _ids(client: TestClient, collection: str, params: dict[str, str]) -> list[str]:
    response = client.get(f"/ogc/collections/{collection}/items", params=params | {"f": "json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberMatched"] == body["numberReturned"]  # one page holds them all here
    return [feature["id"] for feature in body["features"]]


@pytest.mark.parametrize("as_of", [date(2024, 6, 1), TODAY])
def test_bbox_items_with_filters_are_the_filtered_items_meeting_the_box(
    demo_gpkg: Path, as_of: date
) -> None:
    """A bbox (rows taken by position from the view) with a parent, a property filter, a
    model type and a past day selects the features the same query selects without the
    bbox, less those that do not meet the box, in the same order."""
    store = open_store(str(demo_gpkg))
    query = UnitQuery(as_of=as_of, level=3, order=("code",))
    communes = store.units(query).iloc[::7]  # a spread of communes, not all
    model_type = str(store.model_types()["code"].iloc[0])
    settings = Settings(store_path=demo_gpkg, demo=False)
    limit = str(settings.max_feature_limit)
    found = 0
    with TestClient(create_app(settings)) as client:
        for commune, geometry in zip(communes["code"], communes.geometry, strict=True):
            bbox = ",".join(str(round(v, 6)) for v in geometry.bounds)
            meeting = units_meeting(store, as_of, tuple(float(v) for v in bbox.split(",")))
            parent = store.units(UnitQuery(as_of=as_of, codes=(commune,))).iloc[0]["parent_code"]
            for collection, filters in (
                ("villages", {}),
                ("villages", {"parent": commune, "status": "uncovered"}),
                ("gaps", {"parent": parent, "model_type": model_type}),
                ("communes", {"data_status": "complete"}),
                ("villages", {"model_type": model_type, "status": "covered"}),
            ):
                params = filters | {"datetime": as_of.isoformat(), "limit": limit}
                everywhere = _ids(client, collection, params)
                in_box = _ids(client, collection, params | {"bbox": bbox})
                assert in_box == [code for code in everywhere if code in meeting]
                found += len(in_box)
    assert found > 0
