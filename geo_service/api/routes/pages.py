"""HTML pages: the coverage map at ``GET /``, a page shell (``web/templates/map.html``)
whose script fetches the data of the view it shows from ``/api/map``.

Bad input gets a short page saying what to fix (or JSON when the client asks for JSON):
an unknown unit is a 404, a malformed date a 422. Never a 500 for either. A unit that a
reform ended is not a dead end: the page names what became of it and links to its
successors and to its own figures on its last day. Those pages are the Jinja2 template
``web/templates/notice.html``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from geo_service.api.map_layers import place_names, unit_bounds
from geo_service.api.views import CoverageSourceDep
from geo_service.coverage.unit_fate import (
    ENDED,
    MERGED,
    NO_DATA,
    NOT_YET,
    RENAMED,
    SPLIT,
    UNKNOWN,
    UnitFate,
    unit_fate,
)
from geo_service.settings import PACKAGE_DIR
from geo_service.web.panels import no_units_notice
from geo_service.web.scope import UnitNotInView, unit_scope
from geo_service.web.side_panel import side_panel_html, unit_title

router = APIRouter(tags=["pages"])
TEMPLATES = Jinja2Templates(directory=PACKAGE_DIR / "web" / "templates")  # autoescaped

# Both are parsed here rather than by FastAPI so that bad values get this page's own
# messages (HTML for a browser), not a validation error in JSON.
UnitParam = Annotated[str | None, Query(description="code of the unit to focus on (e.g. 09496)")]
AsOfParam = Annotated[str | None, Query(description="ISO date YYYY-MM-DD (default: today)")]
ECHO_LIMIT = 40  # characters of a bad value repeated in the error message
TITLES = {  # (Vietnamese, English) by what became of a unit
    UNKNOWN: ("Không tìm thấy đơn vị", "unit not found"),
    NO_DATA: ("Chưa có dữ liệu", "no data yet"),
    NOT_YET: ("Đơn vị chưa được thành lập vào ngày này", "not yet formed on this date"),
}
CHANGED = ("Đơn vị đã thay đổi", "this unit has changed")


@router.get("/", response_class=HTMLResponse, summary="Interactive coverage map (HTML)")
def coverage_map_page(
    request: Request,
    source: CoverageSourceDep,
    unit: UnitParam = None,
    as_of: AsOfParam = None,
) -> Response:
    """The map page: a shell that fetches its data (``/api/map``) for the view it shows;
    ``?unit=CODE`` starts on one unit. The page itself carries the unit's summary only."""
    try:
        day = _parse_day(as_of)
    except ValueError:
        message = f"as_of must be an ISO date YYYY-MM-DD, got '{_clip(as_of)}'"
        return _notice(request, 422, message, ("Ngày không hợp lệ", "invalid date"))
    focus = (unit or "").strip() or None
    as_of_given = bool(as_of and as_of.strip())
    # The day's national view: the page's own requests (/api/map) read it too.
    view = source.view(day, None)
    try:
        scope = unit_scope(view, focus)
    except UnitNotInView:
        fate = unit_fate(source.store, focus or "", day)
        return _unit_not_on_date(request, fate, as_of_given=as_of_given)
    notices = []
    if view.result.rollups.empty and view.result.villages.empty:
        notices.append(no_units_notice())
    start = None
    if scope.focus is not None:
        start = {
            "code": focus,
            "level": int(scope.focus["level"]),
            "bounds": unit_bounds(source.store, day, scope.focus),
        }
    parent = scope.focus.get("parent_code") if scope.focus is not None else None
    context = {
        "title": unit_title(scope),
        "place": place_names(source.store, view.as_of, parent),
        "as_of": day,
        "unit": focus,
        "notices": notices,
        "panel": side_panel_html(scope, view.village_sources, day, links=True),
        "config": {
            "as_of": day.isoformat(),
            "as_of_given": as_of_given,
            "today": date.today().isoformat(),
            "unit": start,
            # Camera points are public-safety sensitive: the page asks for them only when
            # the setting serves them (static/map/cameras.js).
            "cameras": source.settings.camera_points_public,
        },
    }
    return TEMPLATES.TemplateResponse(request, "map.html", context)


def _parse_day(text: str | None) -> date:
    if text is None or not text.strip():
        return date.today()
    return date.fromisoformat(text.strip())


def _clip(value: str | None) -> str:
    text = value or ""
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "…"


def _unit_not_on_date(request: Request, fate: UnitFate, *, as_of_given: bool) -> Response:
    """404: what became of the unit, with links to its successors and to its own figures."""
    if fate.change == UNKNOWN:
        message = f"no unit with code '{_clip(fate.unit.code)}' on {fate.as_of.isoformat()}"
    else:
        message = fate.message()
    if _wants_json(request):
        return JSONResponse(status_code=404, content={"detail": message, "unit": fate.as_dict()})
    stay_on = {"as_of": fate.as_of.isoformat()} if as_of_given else {}
    successors = [
        {
            "code": successor.code,
            "name": successor.name or successor.code,
            "href": _href(unit=successor.code, **stay_on) if successor.name else None,
        }
        for successor in fate.successors
    ]
    day = fate.own_day
    own = None
    if day is not None and fate.change != UNKNOWN:
        own = {
            "href": _href(unit=fate.unit.code, as_of=day.isoformat()),
            "name": fate.unit.name or fate.unit.code,
            "day": f"{day:%d/%m/%Y}",
            "iso": day.isoformat(),
        }
    return _notice(
        request,
        404,
        message,
        TITLES.get(fate.change, CHANGED),
        fate_vi=_fate_vi(fate),
        successors=successors,
        successors_vi="Đơn vị kế tiếp" if len(successors) < 2 else "Các đơn vị kế tiếp",
        successors_en="successor" if len(successors) < 2 else "successors",
        own_figures=own,
        import_hint=fate.change == NO_DATA,
    )


def _fate_vi(fate: UnitFate) -> str | None:
    """The fate in Vietnamese (the English sentence is the message below it)."""
    unit = f"{fate.unit.name or fate.unit.code} ({fate.unit.code})"
    names = [f"{s.name or s.code} ({s.code})" for s in fate.successors]
    ended = f"{fate.valid_to:%d/%m/%Y}" if fate.valid_to else ""
    if fate.change == MERGED:
        return f"{unit} đã được sáp nhập vào {names[0]} từ ngày {ended}."
    if fate.change == RENAMED:
        return f"{unit} đã trở thành {names[0]} từ ngày {ended}."
    if fate.change == SPLIT:
        listed = f"{', '.join(names[:-1])} và {names[-1]}"
        return f"{unit} đã được chia tách thành {listed} từ ngày {ended}."
    if fate.change == ENDED:
        return f"{unit} đã kết thúc từ ngày {ended}; dữ liệu chưa có đơn vị kế tiếp."
    if fate.change == NOT_YET and fate.valid_from is not None:
        return f"{unit} bắt đầu từ ngày {fate.valid_from:%d/%m/%Y}."
    if fate.change == NO_DATA:
        return "Kho dữ liệu chưa có đơn vị hành chính nào."
    return None


def _href(**params: str) -> str:
    return f"./?{urlencode(params)}"


def _notice(
    request: Request, status: int, message: str, title: tuple[str, str], **page: Any
) -> Response:
    if _wants_json(request):
        return JSONResponse(status_code=status, content={"detail": message})
    context = {"title_vi": title[0], "title_en": title[1], "message": message, **page}
    return TEMPLATES.TemplateResponse(request, "notice.html", context, status_code=status)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept
