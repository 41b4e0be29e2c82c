"""Bad input is answered with a 4xx and a message that says what to fix."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from geo_service.validate import ImportRejected


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

    @app.exception_handler(LookupError)
    async def not_found(_: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc).strip("'\"")})
