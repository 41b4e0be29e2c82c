"""OGC-style errors: ``{"code": ..., "description": ...}`` with a 400 or a 404.

Every query parameter of ``/ogc`` is parsed by this package rather than by FastAPI, so a
bad value is answered in the form OGC API clients read (GDAL prints the description),
never with FastAPI's validation error or a 500.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

INVALID_PARAMETER = "InvalidParameterValue"
NOT_FOUND = "NotFound"
ECHO_LIMIT = 60  # characters of a bad value repeated in a message


class OGCError(Exception):
    """A request the OGC API refuses: ``status`` 400 or 404, an OGC exception ``code``."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description


def bad_parameter(description: str) -> OGCError:
    return OGCError(400, INVALID_PARAMETER, description)


def not_found(description: str) -> OGCError:
    return OGCError(404, NOT_FOUND, description)


def clip(value: str) -> str:
    """``value`` as a message may repeat it: at most ``ECHO_LIMIT`` characters."""
    return value if len(value) <= ECHO_LIMIT else value[:ECHO_LIMIT] + "…"


def install(app: FastAPI) -> None:
    @app.exception_handler(OGCError)
    async def refused(_: Request, exc: OGCError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status, content={"code": exc.code, "description": exc.description}
        )
