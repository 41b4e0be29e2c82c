"""The API docs pages (/docs, /redoc) load nothing from other hosts.

``create_app()`` builds the app with ``fastapi_offline.FastAPIOffline``, which serves Swagger
UI's and ReDoc's scripts from the app instead of a CDN. ReDoc 2 still draws the Redocly
logo in its sidebar from cdn.redoc.ly: a request that fails offline and tells a third party
that someone opened the docs. A Content-Security-Policy keeping the pages' images on this
server stops the browser from sending it; ReDoc hides the logo it cannot load.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATHS = frozenset({"/docs", "/redoc"})
LOCAL_IMAGES_ONLY = "img-src 'self' data:"


class LocalImagesOnDocsPages:
    """ASGI middleware: adds the policy to the docs pages' responses, and touches no other."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in DOCS_PATHS:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Content-Security-Policy"] = LOCAL_IMAGES_ONLY
            await send(message)

        await self.app(scope, receive, send_with_policy)
