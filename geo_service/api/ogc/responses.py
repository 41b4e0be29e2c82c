"""Answers of the OGC API: JSON or HTML as the client asks (``f``, else ``Accept``), and
the links every answer carries (absolute, each with its media type).

HTML pages are the Jinja2 templates under ``web/templates/ogc/``; they use nothing but
what the page holds (no script or style from another host).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from geo_service.api.ogc.params import output_format
from geo_service.settings import PACKAGE_DIR

OGC_PREFIX = "/ogc"
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
TEMPLATES = Jinja2Templates(directory=PACKAGE_DIR / "web" / "templates")  # autoescaped
# Media ranges of the Accept header that ask for each format.
_HTML_RANGES = frozenset({"text/html", "application/xhtml+xml", "text/*"})
_JSON_RANGES = frozenset({JSON, GEOJSON, "application/*", OPENAPI_JSON.split(";")[0]})


def wanted_format(request: Request) -> str:
    """``json`` or ``html``: the ``f`` parameter, else the Accept header (JSON unless the
    client prefers HTML, as a browser does)."""
    chosen = output_format(request.query_params)
    if chosen is not None:
        return chosen
    html_q, json_q = 0.0, 0.0
    for item in request.headers.get("accept", "").split(","):
        media, *options = (part.strip() for part in item.split(";"))
        weight = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        media = media.lower()
        if media in _HTML_RANGES:
            html_q = max(html_q, weight)
        if media in _JSON_RANGES:
            json_q = max(json_q, weight)
        elif media == "*/*":  # anything will do: JSON, unless HTML is asked for by name
            json_q = max(json_q, min(weight, 0.01))
    return "html" if html_q > json_q else "json"


class Links:
    """Absolute URLs under the OGC API's base path, as the client addressed the service."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.base = str(request.base_url).rstrip("/") + OGC_PREFIX

    def url(self, path: str = "", **params: object) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return self.base + path + (f"?{query}" if query else "")

    def same(self, **changes: object) -> str:
        """The requested URL with ``changes`` to its query (None removes a parameter)."""
        params: dict[str, object] = dict(self.request.query_params)
        params.update(changes)
        path = self.request.url.path.removeprefix(self.request.scope.get("root_path", ""))
        return self.url(path.removeprefix(OGC_PREFIX), **params)

    def self_and_alternate(self, fmt: str, json_type: str = JSON) -> list[dict[str, str]]:
        """This answer (``self``) and the same in the other format (``alternate``)."""
        kinds = {"json": (json_type, "as JSON"), "html": (HTML, "as HTML")}
        other = "html" if fmt == "json" else "json"
        return [
            link(self.same(f=fmt), "self", kinds[fmt][0], f"this document {kinds[fmt][1]}"),
            link(
                self.same(f=other), "alternate", kinds[other][0], f"this document {kinds[other][1]}"
            ),
        ]


def shown(value: object) -> str:
    """A property as the pages show it: spelt as the JSON answer spells it (``true``,
    ``false``), null as nothing, a list as its members joined by commas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(shown(member) for member in value)
    return str(value)


TEMPLATES.env.filters["shown"] = shown


def link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def answer(
    request: Request,
    fmt: str,
    body: dict[str, Any],
    template: str,
    **page: Any,
) -> Response:
    """``body`` as JSON, or the page ``template`` showing it."""
    if fmt == "html":
        context = {"body": body, "title": body.get("title", "OGC API"), **page}
        return TEMPLATES.TemplateResponse(request, f"ogc/{template}", context)
    return Response(orjson.dumps(body), media_type=JSON)
