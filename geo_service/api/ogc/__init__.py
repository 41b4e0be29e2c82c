"""OGC API – Features, Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) under ``/ogc``.

``install`` adds its routers and its error answers to the app; ``/api/*`` stays as the
service's own convenience API.
"""

from __future__ import annotations

from fastapi import FastAPI

from geo_service.api.ogc import errors, features, landing
from geo_service.api.ogc.reads import CollectionExtents


def install(app: FastAPI) -> None:
    app.state.ogc_extents = CollectionExtents()
    errors.install(app)
    app.include_router(landing.router)
    app.include_router(features.router)
