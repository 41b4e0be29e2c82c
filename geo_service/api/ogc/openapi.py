"""The OpenAPI 3.0 document of the OGC API (its ``service-desc``).

FastAPI's own document (``/openapi.json``) is OpenAPI 3.1 and describes the whole
service; OGC API – Features asks for 3.0, with each collection's items path and its
query parameters, which is where clients such as GDAL look for the property filters
they may send to the server.
"""

from __future__ import annotations

from typing import Any

from geo_service import __version__
from geo_service.api.ogc.collections import COLLECTIONS, FeatureCollectionSpec
from geo_service.api.ogc.responses import GEOJSON, HTML, JSON
from geo_service.settings import Settings

OPENAPI_VERSION = "3.0.3"
_REF = "#/components/parameters/"


def openapi_document(server_url: str, settings: Settings) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": _get("landing page", "the API's landing page", JSON),
        "/conformance": _get("conformance", "the conformance classes implemented", JSON),
        "/api": _get("API definition", "this document", "application/vnd.oai.openapi+json"),
        "/collections": _get("collections", "the feature collections", JSON),
        "/collections/{collectionId}": _get(
            "one collection", "a feature collection's description", JSON, ["collectionId"]
        ),
    }
    for spec in COLLECTIONS.values():
        paths[f"/collections/{spec.id}/items"] = _items_path(spec)
        paths[f"/collections/{spec.id}/items/{{featureId}}"] = _get(
            f"one feature of {spec.id}",
            "a feature (404 when it is not there on the day asked)",
            GEOJSON,
            ["featureId", "datetime"],
        )
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "geo-service OGC API – Features",
            "version": __version__,
            "description": "Village coverage by community security self-management models.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"parameters": _parameters(settings)},
    }


def _get(
    summary: str,
    description: str,
    media_type: str,
    parameters: list[str] | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    refs: list[dict[str, Any]] = [{"$ref": _REF + name} for name in [*(parameters or []), "f"]]
    return {
        "get": {
            "summary": summary,
            "parameters": refs + (extra or []),
            "responses": {
                "200": {
                    "description": description,
                    "content": {media_type: {}, HTML: {}},
                },
                "400": {"description": "a bad parameter: {code, description}"},
                "404": {"description": "not found: {code, description}"},
            },
        }
    }


def _items_path(spec: FeatureCollectionSpec) -> dict[str, Any]:
    filters = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": queryable.description,
            "schema": (
                {"type": "integer", "enum": [int(v) for v in queryable.values or ()]}
                if queryable.integer
                else {
                    "type": "string",
                    **({"enum": list(queryable.values)} if queryable.values else {}),
                }
            ),
            "style": "form",
            "explode": False,
        }
        for name, queryable in spec.queryables.items()
    ]
    return _get(
        f"features of {spec.id}",
        f"{spec.title}: a page of features (GeoJSON), with next links",
        GEOJSON,
        ["bbox", "datetime", "limit", "offset"],
        filters,
    )


def _parameters(settings: Settings) -> dict[str, Any]:
    def query(name: str, description: str, schema: dict[str, Any], **more: Any) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": schema,
            "style": "form",
            "explode": False,
            **more,
        }

    return {
        "f": query(
            "f",
            "the answer's format (default: from the Accept header)",
            {"type": "string", "enum": ["json", "html"]},
        ),
        "bbox": query(
            "bbox",
            "west,south,east,north in CRS84 lon/lat (six numbers: heights ignored); "
            "features whose geometry meets the box",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        ),
        "datetime": query(
            "datetime",
            "the as-of day: a date (YYYY-MM-DD) or an RFC 3339 date-time (its date as "
            "written); units and models as they stood that day (default today). "
            "Intervals are refused (400).",
            {"type": "string"},
        ),
        "limit": query(
            "limit",
            "features in a page; more pages through the 'next' link",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": settings.max_feature_limit,
                "default": min(settings.default_feature_limit, settings.max_feature_limit),
            },
        ),
        "offset": query(
            "offset",
            "features skipped before the page",
            {"type": "integer", "minimum": 0, "default": 0},
        ),
        "collectionId": {
            "name": "collectionId",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": list(COLLECTIONS)},
        },
        "featureId": {
            "name": "featureId",
            "in": "path",
            "required": True,
            "description": "a unit's code; for model sites, MODEL_ID@UNIT_CODE",
            "schema": {"type": "string"},
        },
    }
