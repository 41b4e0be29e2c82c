"""Bad input is answered with a 4xx and a message that says what to fix; a store that
cannot take a write (full disk, read-only, busy) with a 5xx and a message saying so."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from geo_service.ingest.report import ImportRejected
from geo_service.store import StoreBusy, StoreError, StoreFull

RETRY_AFTER_S = 10  # an import usually finishes within seconds


def install(app: FastAPI) -> None:
    @app.exception_handler(ImportRejected)
    async def rejected(_: Request, exc: ImportRejected) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "detail": "the file was rejected; nothing was changed",
                "report": exc.report.as_dict(),
            },
        )

    @app.exception_handler(StoreError)
    async def store_refused(_: Request, exc: StoreError) -> JSONResponse:
        if isinstance(exc, StoreFull):
            return JSONResponse(status_code=507, content={"detail": str(exc)})
        headers = {"Retry-After": str(RETRY_AFTER_S)} if isinstance(exc, StoreBusy) else None
        # Read-only or busy: the service is up, but cannot write now.
        return JSONResponse(status_code=503, content={"detail": str(exc)}, headers=headers)

    @app.exception_handler(LookupError)
    async def not_found(_: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc).strip("'\"")})
