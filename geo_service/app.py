"""The FastAPI application. Settings and the store are built in ``create_app()``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from geo_service import __version__
from geo_service.api import errors, ogc, validators
from geo_service.api.freed_heap import (
    ReturnFreedHeapWhenIdle,
    arrow_on_the_c_heap,
    limit_arenas,
)
from geo_service.api.geometry_texts import GeometryTexts
from geo_service.api.routes import (
    cameras,
    coverage,
    docs_pages,
    gaps,
    imports,
    map_data,
    model_types,
    models,
    pages,
    tiles,
    units,
)
from geo_service.coverage.derived import CoverageCache
from geo_service.settings import PACKAGE_DIR, Settings
from geo_service.store import StoreError, open_store

STATIC_DIR = PACKAGE_DIR / "web" / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    limit_arenas()  # before the thread pool's threads allocate: see api/freed_heap.py
    arrow_on_the_c_heap()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Opening writes nothing: a new path is served as an empty store until an import.
        store = open_store(str(settings.store_path))
        if settings.demo and store.is_empty():
            from geo_service.imports.demo import load_demo

            try:
                load_demo(store)
            except StoreError as exc:  # e.g. a read-only mount: serve what there is
                logging.getLogger("uvicorn.error").error("the demo was not loaded: %s", exc)
        app.state.store = store
        try:
            yield
        finally:
            store.close()

    # /docs and /redoc load Swagger UI and ReDoc from the app (/static-offline-docs), as the
    # map's assets are: FastAPI's own pages fetch them from a CDN and are blank offline.
    app = FastAPIOffline(
        title="geo-service",
        version=__version__,
        description=(
            "Coverage of Vietnam's villages and wards by community security "
            "self-management models (Toàn dân bảo vệ an ninh Tổ quốc)."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tile_cache = tiles.TileCache(max_bytes=settings.tile_cache_mb * 1024 * 1024)
    app.state.started = datetime.now(UTC)  # a download's Last-Modified is never earlier
    # Per process: each worker keeps its own, and the store's generation keeps them current.
    app.state.coverage_cache = CoverageCache(settings.coverage_cache_entries)
    app.state.geometry_texts = GeometryTexts(settings.geometry_cache_mb * 1024 * 1024)
    app.add_middleware(docs_pages.LocalImagesOnDocsPages)
    app.add_middleware(ReturnFreedHeapWhenIdle)
    errors.install(app)
    validators.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    routers = (units, coverage, gaps, models, model_types, cameras, imports, tiles, map_data, pages)
    for module in routers:
        app.include_router(module.router)
    ogc.install(app)
    return app
