"""The query parameters of ``/ogc``, parsed and checked here (OGC errors, never a 500).

``bbox`` is four numbers (or six, heights ignored) in CRS84 lon/lat; a west edge east of
the east edge crosses the antimeridian, as the standard allows. ``datetime`` is the as-of
day: a date or an RFC 3339 instant (its date as written); intervals are refused, because
the service answers for one day's tree. A parameter the API does not define is refused
with a 400 (OGC API – Features, /req/core/query-param-unknown).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from starlette.datastructures import QueryParams

from geo_service.api.ogc.errors import bad_parameter, clip
from geo_service.settings import Settings

FORMATS = ("json", "html")
PAGE_PARAMETERS = ("bbox", "datetime", "limit", "offset")
_DIGITS = re.compile(r"[0-9]{1,15}")

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class ItemsQuery:
    """What an items request asks for: the day, an area, a page, and property filters."""

    as_of: date
    bbox: BBox | None = None
    limit: int = 10
    offset: int = 0
    filters: dict[str, str] = field(default_factory=dict)


def single(params: QueryParams, name: str) -> str | None:
    """The one value of ``name``, or None; a parameter given twice is refused."""
    values = params.getlist(name)
    if len(values) > 1:
        raise bad_parameter(f"{name} is given {len(values)} times; give it once")
    return values[0] if values else None


def refuse_unknown(params: QueryParams, known: Collection[str]) -> None:
    unknown = sorted(set(params.keys()) - set(known))
    if unknown:
        listed = ", ".join(clip(name) for name in unknown)
        raise bad_parameter(
            f"unknown query parameter(s): {listed}; this resource takes "
            + (", ".join(sorted(known)) or "none")
        )


def output_format(params: QueryParams) -> str | None:
    """``f`` (json or html), or None to follow the Accept header."""
    value = single(params, "f")
    if value is None:
        return None
    if value not in FORMATS:
        raise bad_parameter(f"f must be one of {', '.join(FORMATS)}, got '{clip(value)}'")
    return value


def as_of_day(text: str | None) -> date:
    """The day of ``datetime``: today when absent."""
    if text is None:
        return date.today()
    value = text.strip()
    if "/" in value or value == "..":
        raise bad_parameter(
            f"datetime '{clip(text)}' is an interval; only an instant is supported: the "
            "as-of date (YYYY-MM-DD, or an RFC 3339 date-time), whose units and models "
            "are shown"
        )
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("z", "Z")).date()
    except ValueError:
        raise bad_parameter(
            f"datetime must be a date (YYYY-MM-DD) or an RFC 3339 date-time, got '{clip(text)}'"
        ) from None


def bbox_of(text: str | None) -> BBox | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise bad_parameter(
            f"bbox must be 4 numbers 'west,south,east,north' (lon/lat), got '{clip(text)}'"
        )
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise bad_parameter(f"bbox must be numbers, got '{clip(text)}'") from None
    if not all(math.isfinite(number) for number in numbers):
        raise bad_parameter(f"bbox must be finite numbers, got '{clip(text)}'")
    if len(numbers) == 6:  # heights are not held: only the horizontal box counts
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise bad_parameter(f"bbox longitudes must lie in [-180, 180], got '{clip(text)}'")
    if not (-90 <= south <= north <= 90):
        raise bad_parameter(
            f"bbox latitudes must lie in [-90, 90] with south <= north, got '{clip(text)}'"
        )
    return west, south, east, north


def count_of(name: str, text: str | None, default: int, *, lowest: int, highest: int) -> int:
    if text is None:
        return default
    if not _DIGITS.fullmatch(text):
        raise bad_parameter(f"{name} must be a whole number, got '{clip(text)}'")
    number = int(text)
    if not lowest <= number <= highest:
        raise bad_parameter(f"{name} must lie in [{lowest}, {highest}], got {number}")
    return number


def default_limit(settings: Settings) -> int:
    return min(settings.default_feature_limit, settings.max_feature_limit)


def items_query(
    params: QueryParams, settings: Settings, filters: dict[str, tuple[str, ...] | None]
) -> ItemsQuery:
    """Parse an items request. ``filters`` names the collection's property filters with the
    values each allows (None: any value, checked when the data are read)."""
    refuse_unknown(params, {"f", *PAGE_PARAMETERS, *filters})
    output_format(params)
    chosen: dict[str, str] = {}
    for name, allowed in filters.items():
        value = single(params, name)
        if value is None:
            continue
        if allowed is not None and value not in allowed:
            raise bad_parameter(f"{name} must be one of {', '.join(allowed)}, got '{clip(value)}'")
        chosen[name] = value
    return ItemsQuery(
        as_of=as_of_day(single(params, "datetime")),
        bbox=bbox_of(single(params, "bbox")),
        limit=count_of(
            "limit",
            single(params, "limit"),
            default_limit(settings),
            lowest=1,
            highest=settings.max_feature_limit,
        ),
        offset=count_of("offset", single(params, "offset"), 0, lowest=0, highest=10**15),
        filters=chosen,
    )
