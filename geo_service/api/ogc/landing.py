"""``/ogc``, ``/ogc/conformance`` and ``/ogc/api``: what the OGC API is and what it
conforms to (OGC API – Features, Part 1: Core, GeoJSON, HTML, OpenAPI 3.0)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from geo_service.api.deps import SettingsDep
from geo_service.api.ogc.openapi import openapi_document
from geo_service.api.ogc.params import refuse_unknown
from geo_service.api.ogc.responses import (
    HTML,
    JSON,
    OGC_PREFIX,
    OPENAPI_JSON,
    Links,
    answer,
    link,
    wanted_format,
)

router = APIRouter(prefix=OGC_PREFIX, tags=["OGC API – Features"])
_CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CONFORMANCE = [_CONF + name for name in ("core", "geojson", "html", "oas30")]
TITLE = "geo-service: village coverage (OGC API – Features)"


@router.get("", summary="OGC API landing page (JSON or HTML)")
def landing_page(request: Request) -> Response:
    refuse_unknown(request.query_params, {"f"})
    fmt = wanted_format(request)
    links = Links(request)
    body = {
        "title": TITLE,
        "description": (
            "Which of Vietnam's villages and wards are covered by community security "
            "self-management models, with roll-ups per commune, district and province, "
            "the gap list and the model sites."
        ),
        "links": [
            *links.self_and_alternate(fmt),
            link(
                links.url("/api"), "service-desc", OPENAPI_JSON, "the API definition (OpenAPI 3.0)"
            ),
            link(str(request.base_url) + "docs", "service-doc", HTML, "the API documentation"),
            link(links.url("/conformance"), "conformance", JSON, "conformance classes"),
            link(links.url("/collections"), "data", JSON, "the feature collections"),
        ],
    }
    return answer(request, fmt, body, "landing.html")


@router.get("/conformance", summary="The OGC conformance classes this API implements")
def conformance(request: Request) -> Response:
    refuse_unknown(request.query_params, {"f"})
    fmt = wanted_format(request)
    body = {"title": "Conformance", "conformsTo": CONFORMANCE}
    return answer(
        request, fmt, body | {"links": Links(request).self_and_alternate(fmt)}, "conformance.html"
    )


@router.get("/api", summary="The OGC API's definition (OpenAPI 3.0)")
def api_definition(request: Request, settings: SettingsDep) -> Response:
    refuse_unknown(request.query_params, {"f"})
    if wanted_format(request) == "html":
        return RedirectResponse(str(request.base_url) + "docs", status_code=303)
    document = openapi_document(Links(request).base, settings)
    return Response(orjson.dumps(document), media_type=OPENAPI_JSON)
