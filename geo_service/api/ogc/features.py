"""``/ogc/collections``, one collection, its items (pages with ``next`` links) and one
item. Items are RFC 7946 GeoJSON written by ``api.serialise`` (``output/geometry.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from geo_service.api.deps import GeometryTextsDep
from geo_service.api.ogc.collections import COLLECTIONS, FeatureCollectionSpec
from geo_service.api.ogc.errors import clip, not_found
from geo_service.api.ogc.params import as_of_day, items_query, refuse_unknown, single
from geo_service.api.ogc.reads import (
    CollectionExtents,
    Extent,
    coverage_for,
    earliest_day,
    geometry_texts_of,
    items_view,
    matching_features,
    page_rows,
)
from geo_service.api.ogc.responses import (
    GEOJSON,
    HTML,
    JSON,
    OGC_PREFIX,
    Links,
    answer,
    link,
    wanted_format,
)
from geo_service.api.serialise import feature_collection
from geo_service.api.views import CoverageSourceDep

router = APIRouter(prefix=OGC_PREFIX + "/collections", tags=["OGC API – Features"])
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


@router.get("", summary="The feature collections (JSON or HTML)")
def list_collections(request: Request, source: CoverageSourceDep) -> Response:
    refuse_unknown(request.query_params, {"f"})
    fmt = wanted_format(request)
    view = coverage_for(source, date.today())
    start = earliest_day(source.store)
    links = Links(request)
    extents = _extents(request)
    body = {
        "title": "Collections",
        "links": links.self_and_alternate(fmt),
        "collections": [
            _describe(spec, extents.of(spec, view, source.store), start, links)
            for spec in COLLECTIONS.values()
        ],
    }
    return answer(request, fmt, body, "collections.html")


@router.get("/{collection_id}", summary="One feature collection: extent, CRS, links")
def get_collection(request: Request, collection_id: str, source: CoverageSourceDep) -> Response:
    spec = _spec(collection_id)
    refuse_unknown(request.query_params, {"f"})
    fmt = wanted_format(request)
    view = coverage_for(source, date.today())
    links = Links(request)
    extent = _extents(request).of(spec, view, source.store)
    body = _describe(spec, extent, earliest_day(source.store), links)
    body["links"] = links.self_and_alternate(fmt) + body["links"]
    return answer(request, fmt, body, "collection.html", spec=spec)


@router.get("/{collection_id}/items", summary="A page of a collection's features (GeoJSON)")
def get_items(
    request: Request, collection_id: str, source: CoverageSourceDep, texts: GeometryTextsDep
) -> Response:
    spec = _spec(collection_id)
    query = items_query(request.query_params, source.settings, spec.allowed_values())
    fmt = wanted_format(request)
    store = source.store
    view = items_view(source, query)
    matched = matching_features(store, view, spec, query)
    page = page_rows(store, spec, matched.iloc[query.offset : query.offset + query.limit], view)
    links = Links(request)
    page_links = [
        *links.self_and_alternate(fmt, GEOJSON),
        link(links.url(f"/collections/{spec.id}"), "collection", JSON, spec.title),
    ]
    following = query.offset + query.limit
    if following < len(matched):
        page_links += _paging(links, "next", following, query.limit)
    if query.offset > 0:
        page_links += _paging(links, "prev", max(query.offset - query.limit, 0), query.limit)
    head = {
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "numberMatched": len(matched),
        "numberReturned": len(page),
        "links": page_links,
    }
    content = feature_collection(
        page,
        spec.columns,
        id_column=spec.id_column,
        extra=head,
        geometry_texts=geometry_texts_of(spec, texts, store, query.as_of),
    )
    if fmt == "json":
        return Response(content, media_type=GEOJSON)
    body = orjson.loads(content) | {"title": spec.title}
    return answer(
        request, fmt, body, "items.html", spec=spec, as_of=query.as_of, offset=query.offset
    )


@router.get("/{collection_id}/items/{feature_id}", summary="One feature (GeoJSON)")
def get_item(
    request: Request,
    collection_id: str,
    feature_id: str,
    source: CoverageSourceDep,
    texts: GeometryTextsDep,
) -> Response:
    spec = _spec(collection_id)
    refuse_unknown(request.query_params, {"f", "datetime"})
    fmt = wanted_format(request)
    as_of = as_of_day(single(request.query_params, "datetime"))
    store = source.store
    view = coverage_for(source, as_of)
    features = spec.features(view)
    found = features[(features[spec.id_column] == feature_id).to_numpy(dtype=bool)]
    if found.empty:
        raise not_found(f"no feature '{clip(feature_id)}' in {spec.id} on {as_of.isoformat()}")
    content = feature_collection(
        page_rows(store, spec, found, view),
        spec.columns,
        id_column=spec.id_column,
        geometry_texts=geometry_texts_of(spec, texts, store, as_of),
    )
    feature: dict[str, Any] = orjson.loads(content)["features"][0]
    links = Links(request)
    feature["links"] = [
        *links.self_and_alternate(fmt, GEOJSON),
        link(links.url(f"/collections/{spec.id}"), "collection", JSON, spec.title),
    ]
    if fmt == "json":
        return Response(orjson.dumps(feature), media_type=GEOJSON)
    body = feature | {"title": f"{spec.title}: {feature_id}"}
    return answer(request, fmt, body, "item.html", spec=spec, as_of=as_of)


def _spec(collection_id: str) -> FeatureCollectionSpec:
    spec = COLLECTIONS.get(collection_id)
    if spec is None:
        raise not_found(
            f"no collection '{clip(collection_id)}'; collections: {', '.join(COLLECTIONS)}"
        )
    return spec


def _paging(links: Links, rel: str, offset: int, limit: int) -> list[dict[str, str]]:
    """The page at ``offset`` as GeoJSON and as HTML."""
    return [
        link(links.same(offset=offset, limit=limit, f="json"), rel, GEOJSON, f"{rel} page"),
        link(links.same(offset=offset, limit=limit, f="html"), rel, HTML, f"{rel} page (HTML)"),
    ]


def _extents(request: Request) -> CollectionExtents:
    extents: CollectionExtents = request.app.state.ogc_extents
    return extents


def _describe(
    spec: FeatureCollectionSpec, bbox: Extent, start: date | None, links: Links
) -> dict[str, Any]:
    """A collection's description: its extent today (spatial, from the data), since when
    the store answers, its CRS and where its items are."""
    extent: dict[str, Any] = {
        "temporal": {
            "interval": [[start.isoformat() if start else None, None]],
            "trs": GREGORIAN,
        }
    }
    if bbox is not None:
        extent["spatial"] = {"bbox": [bbox], "crs": CRS84}
    items = f"/collections/{spec.id}/items"
    return {
        "id": spec.id,
        "title": spec.title,
        "description": spec.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            link(links.url(items, f="json"), "items", GEOJSON, f"{spec.title} as GeoJSON"),
            link(links.url(items, f="html"), "items", HTML, f"{spec.title} as HTML"),
        ],
    }
