"""Dependencies shared by the routers: the store, the settings, and who may write.

Until roles exist, a write (anything that changes the store) needs the one token from
``GEO_SERVICE_WRITE_TOKEN``, sent as ``Authorization: Bearer <token>``. A browser page on
another origin cannot send that header without a CORS preflight, which this service never
answers (no CORS middleware); on top of that, writes that a browser marks as coming from
another site are refused outright, so a form or a ``mode: 'no-cors'`` fetch fails before
its body is read.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from geo_service.api.geometry_texts import GeometryTexts
from geo_service.coverage.derived import CoverageCache
from geo_service.settings import Settings
from geo_service.store import Store

# Sec-Fetch-Site values of a request the service's own pages (or no page: curl, scripts,
# a typed URL) made; "same-site" is a sibling subdomain, another origin.
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})
_bearer = HTTPBearer(
    auto_error=False,
    description="The server's GEO_SERVICE_WRITE_TOKEN; needed by every write.",
)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_coverage_cache(request: Request) -> CoverageCache:
    cache: CoverageCache = request.app.state.coverage_cache
    return cache


def get_geometry_texts(request: Request) -> GeometryTexts:
    texts: GeometryTexts = request.app.state.geometry_texts
    return texts


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CoverageCacheDep = Annotated[CoverageCache, Depends(get_coverage_cache)]
GeometryTextsDep = Annotated[GeometryTexts, Depends(get_geometry_texts)]


def require_write_access(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse a write from another site (403) or without the server's token (401)."""
    foreign = cross_site_source(request)
    if foreign is not None:
        raise HTTPException(
            403, f"writes from another site are refused ({foreign}); nothing was changed"
        )
    expected = settings.write_token
    if expected is None:
        raise HTTPException(
            403, "this server accepts no writes: GEO_SERVICE_WRITE_TOKEN is not set"
        )
    if credentials is None:
        raise HTTPException(
            401,
            "this write needs the server's token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="geo-service"'},
        )
    given = credentials.credentials.encode("utf-8")
    if not hmac.compare_digest(given, expected.get_secret_value().encode("utf-8")):
        raise HTTPException(
            401,
            "the token is not this server's write token; nothing was changed",
            headers={"WWW-Authenticate": 'Bearer realm="geo-service", error="invalid_token"'},
        )


def cross_site_source(request: Request) -> str | None:
    """What shows that a browser sent ``request`` for a page of another origin, if anything.

    Browsers send ``Origin`` with every POST (a sandboxed page sends ``null``) and, in
    current versions, ``Sec-Fetch-Site``; clients that are not browsers send neither.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in _OWN_FETCH_SITES:
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() != own_origin(request):
        return f"Origin: {origin}"
    return None


def own_origin(request: Request) -> str:
    """This service's origin as the client addressed it (scheme and Host header)."""
    return f"{request.url.scheme}://{request.url.netloc}".lower()


WriteAccess = Depends(require_write_access)
