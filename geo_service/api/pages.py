"""HTML pages: the coverage map at ``GET /``.

Bad input gets a short page saying what to fix (or JSON when the client asks for JSON):
an unknown unit is a 404, a malformed date a 422. Never a 500 for either.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from geo_service.api.deps import SettingsDep, StoreDep
from geo_service.domain import Level
from geo_service.pipeline import coverage_as_of
from geo_service.store import Store, UnitQuery
from geo_service.web.assets import AssetMode
from geo_service.web.map import render_map_html
from geo_service.web.panels import UnitChoice, unit_choices
from geo_service.web.popups import esc

router = APIRouter(tags=["pages"])

# Both are parsed here rather than by FastAPI so that bad values get this page's own
# messages (HTML for a browser), not a validation error in JSON.
UnitParam = Annotated[str | None, Query(description="code of the unit to focus on (e.g. 09496)")]
AsOfParam = Annotated[str | None, Query(description="ISO date YYYY-MM-DD (default: today)")]
ECHO_LIMIT = 40  # characters of a bad value repeated in the error message


@router.get("/", response_class=HTMLResponse, summary="Interactive coverage map (HTML)")
def coverage_map_page(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    unit: UnitParam = None,
    as_of: AsOfParam = None,
) -> Response:
    """The Leaflet map of village coverage; ``?unit=CODE`` focuses on one unit's subtree."""
    try:
        day = _parse_day(as_of)
    except ValueError:
        message = f"as_of must be an ISO date YYYY-MM-DD, got '{_clip(as_of)}'"
        return _error(request, 422, message, "Ngày không hợp lệ")
    focus = (unit or "").strip() or None
    try:
        view = coverage_as_of(store, settings.coverage, day, focus)
        html = render_map_html(
            view, focus_code=focus, assets=AssetMode.SERVED, choices=_choices(store, day)
        )
    except LookupError:  # pipeline's unknown root, or the map's UnitNotInView
        message = f"no unit with code '{_clip(focus)}' on {day.isoformat()}"
        return _error(request, 404, message, "Không tìm thấy đơn vị")
    return HTMLResponse(html)


def _parse_day(text: str | None) -> date:
    if text is None or not text.strip():
        return date.today()
    return date.fromisoformat(text.strip())


def _clip(value: str | None) -> str:
    text = value or ""
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "…"


def _choices(store: Store, day: date) -> list[UnitChoice]:
    """Every province, district and commune valid on ``day``, for the unit picker."""
    frames = [
        store.units(UnitQuery(as_of=day, level=int(level)))
        for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
    ]
    present = [frame for frame in frames if not frame.empty]
    if not present:
        return []
    return unit_choices(pd.concat(present, ignore_index=True))


def _error(request: Request, status: int, message: str, title_vi: str) -> Response:
    if _wants_json(request):
        return JSONResponse(status_code=status, content={"detail": message})
    page = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{esc(title_vi)}</title>"
        "<style>body{font:15px/1.4 system-ui,sans-serif;margin:2em;max-width:40em}"
        "small{color:#666}</style></head><body>"
        f'<h1>{esc(title_vi)}</h1><p class="error">{esc(message)}</p>'
        '<p><a href="./">Về bản đồ <small>back to the map</small></a></p></body></html>'
    )
    return HTMLResponse(page, status_code=status)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept
