"""Query parameters shared by several routers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Query

AsOf = Annotated[
    date | None,
    Query(description="ISO date; units and models as they stood that day (default: today)"),
]
Parent = Annotated[
    str | None, Query(description="code of a unit; only its subtree (e.g. a commune's villages)")
]
ModelTypeFilter = Annotated[
    str | None,
    Query(description="model type code; coverage then means 'has an active model of this type'"),
]
Format = Annotated[Literal["geojson", "csv"], Query(description="geojson (default) or csv")]


def day(as_of: date | None) -> date:
    return as_of or date.today()
