"""Coverage for a request: the configured policy, narrowed by the request's filters.

``/api/coverage`` and ``/api/gaps`` take the same filters and answer in the same forms:
``TableAsked`` is that request, built once (a FastAPI dependency) for both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from fastapi import Depends, HTTPException, Query, Request, Response
from numpy.typing import NDArray

from geo_service.api.deps import CoverageCacheDep, GeometryTextsDep, SettingsDep, StoreDep
from geo_service.api.downloads import streamed, validators_for
from geo_service.api.geometry_texts import GeometryTexts
from geo_service.api.paging import PageAsked, Paging
from geo_service.api.params import AsOf, Format, ModelTypeFilter, Parent, day
from geo_service.api.serialise import (
    CSV_MEDIA_TYPE,
    GEOJSON_MEDIA_TYPE,
    csv_chunks,
    feature_collection_chunks,
)
from geo_service.api.validators import Validators
from geo_service.coverage.derived import CoverageCache
from geo_service.coverage.place_names import names_at_levels
from geo_service.coverage.reads import CoverageView
from geo_service.domain import Level
from geo_service.hierarchy import UnitTree
from geo_service.settings import CoveragePolicy, Settings
from geo_service.store import Store, UnitQuery

Download = Annotated[
    bool,
    Query(
        description="true (or 1): sent as a file to save (Content-Disposition: attachment), "
        "as the map's download links ask; by default GeoJSON is shown inline. "
        "CSV is always an attachment."
    ),
]
# The place names a village row carries, by the level of the unit named: always all three
# columns, so a CSV has one column set on every date (no districts after the 2025 reform:
# district_name is then empty) and for every parent filter.
PLACE_NAME_COLUMNS = {
    int(Level.COMMUNE): "commune_name",
    int(Level.DISTRICT): "district_name",
    int(Level.PROVINCE): "province_name",
}
# The columns of the coverage tables (/api/coverage, /api/gaps), in order.
VILLAGE_COLUMNS = [
    "code",
    "name",
    "unit_type",
    "parent_code",
    "commune_name",
    "geometry_quality",
    "status",
    "covered",
    "model_count",
    "model_types",
    "missing_types",
    "team_count",
    "members",
    "member_households",
    "cameras",
    "population",
    "households",
    "label_lon",
    "label_lat",
]
ROLLUP_COLUMNS = [
    "code",
    "name",
    "unit_type",
    "level",
    "parent_code",
    "villages_total",
    "villages_covered",
    "villages_uncovered",
    "coverage_pct",
    # How complete the village list is (no_data rows have no village counts).
    "data_status",
    "communes_with_villages",
    "communes_total",
    "source_communes_with_villages",
    "source_communes_total",
    "models",
    "model_types",
    "teams",
    "members",
    "member_households",
    "cameras",
    "population",
]
# The gaps as a spreadsheet: a row names its place, for planners working down the list.
GAP_CSV_COLUMNS = [
    "code",
    "name",
    "unit_type",
    "commune_name",
    "district_name",
    "province_name",
    "population",
    "households",
    "geometry_quality",
    "model_count",
    "missing_types",
    "label_lon",
    "label_lat",
]


def policy_of(settings: Settings, model_type: str | None) -> dict[str, object]:
    """The policy a response was computed with, to be shown alongside it."""
    policy = settings.coverage.model_dump()
    if model_type is not None:
        policy["required_types"] = [model_type]
    return policy


@dataclass(frozen=True)
class TableRequest:
    """A coverage table request: the day, the subtree (``parent``), the model type coverage
    then requires, the answer's form and page; with the coverage they select (without
    geometry: ``answer`` reads it for the rows of the page only) and the answer's
    validators (``downloads``)."""

    as_of: date
    parent: str | None
    model_type: str | None
    format: str
    download: bool
    view: CoverageView
    policy: dict[str, object]
    request: Request
    validators: Validators
    page: Paging
    store: Store
    geometry: GeometryTexts

    def answer(
        self,
        frame: gpd.GeoDataFrame,
        *,
        columns: list[str],
        csv_columns: list[str],
        stem: str,
        place_names: bool = False,
        **extra: object,
    ) -> Response:
        """One page of the rows as GeoJSON (shown inline, or saved when ``download``),
        carrying as_of, parent, ``extra``, the policy and the page's links; or as a CSV
        download for Excel. Streamed. ``place_names`` adds the names of the places each
        row lies in."""
        total = len(frame)
        rows = frame.iloc[self.page.rows(total)]
        if place_names:
            rows = with_place_names(self.store, self.as_of, rows, self.view)
        headers = self.page.headers(total)
        if self.format == "csv":
            present = [c for c in csv_columns if c in rows.columns]
            table = rows[present].copy()
            for column in ("model_types", "missing_types"):
                if column in table.columns:
                    table[column] = table[column].map("; ".join)
            response = self.streamed(csv_chunks(table), CSV_MEDIA_TYPE, f"{stem}.csv", inline=False)
        else:
            next_url = self.page.next_url(total)
            head = {"as_of": self.as_of.isoformat(), "parent": self.parent, **extra}
            head |= {"policy": self.policy, "next": next_url}
            head |= {"numberMatched": total, "numberReturned": len(rows)}
            head["links"] = [{"rel": "next", "href": next_url}] if next_url else []
            texts = self.geometry.reader(self.store, self.as_of)
            pieces = feature_collection_chunks(rows, columns, extra=head, geometry_texts=texts)
            response = self.streamed(
                pieces, GEOJSON_MEDIA_TYPE, f"{stem}.geojson", inline=not self.download
            )
        response.headers.update(headers)
        return response

    def streamed(
        self, pieces: Iterator[bytes], media_type: str, filename: str, *, inline: bool
    ) -> Response:
        return streamed(
            self.request,
            pieces,
            media_type=media_type,
            filename=filename,
            inline=inline,
            validators=self.validators,
        )


@dataclass(frozen=True, slots=True)
class CoverageSource:
    """Where a request's coverage comes from: the store, the configured policy and this
    process's cache of computed views, which always travel together."""

    store: Store
    settings: Settings
    cache: CoverageCache

    def view(self, as_of: date, root: str | None, model_type: str | None = None) -> CoverageView:
        """The kept (or newly computed) view of ``root``'s subtree on ``as_of``."""
        policy = coverage_policy(self.store, self.settings, model_type)
        return self.cache.view(self.store, policy, as_of, root)


def coverage_source(
    store: StoreDep, settings: SettingsDep, cache: CoverageCacheDep
) -> CoverageSource:
    return CoverageSource(store, settings, cache)


CoverageSourceDep = Annotated[CoverageSource, Depends(coverage_source)]


def table_request(
    request: Request,
    source: CoverageSourceDep,
    geometry: GeometryTextsDep,
    page: PageAsked,
    parent: Parent = None,
    model_type: ModelTypeFilter = None,
    as_of: AsOf = None,
    format: Format = "geojson",
    download: Download = False,
) -> TableRequest:
    """The request, its coverage and validators; a client that already holds the answer
    gets its 304 (``validators.NotModified``) before any coverage is computed."""
    when = day(as_of)
    store = source.store
    policy = policy_of(source.settings, model_type)
    validators = validators_for(
        request, store, policy=policy, as_of=when, started=request.app.state.started
    )
    view = source.view(when, parent, model_type)
    return TableRequest(
        when,
        parent,
        model_type,
        format,
        download,
        view,
        policy,
        request,
        validators,
        page,
        store,
        geometry,
    )


TableAsked = Annotated[TableRequest, Depends(table_request)]


def coverage_policy(store: Store, settings: Settings, model_type: str | None) -> CoveragePolicy:
    """The configured policy, or one requiring ``model_type`` (a 422 when it is unknown)."""
    policy = settings.coverage
    if model_type is not None:
        known = set(store.model_types()["code"])
        if model_type not in known:
            raise HTTPException(
                422, f"unknown model_type '{model_type}'; known types: {', '.join(sorted(known))}"
            )
        policy = policy.model_copy(update={"required_types": [model_type]})
    return policy


def with_place_names(
    store: Store, as_of: date, frame: pd.DataFrame, view: CoverageView | None = None
) -> pd.DataFrame:
    """Add the names of a row's commune, district and province (``PLACE_NAME_COLUMNS``),
    so a row reads on its own in a spreadsheet. ``frame``'s rows are units of the tree of
    ``as_of``. The names are those ``view`` (coverage of that day) keeps for its roll-ups
    (``CoverageView.place_names``); a row whose parent it does not hold whole (above the
    root of a view narrowed to a subtree), or every row without a view, has them read from
    the store (only the units above those rows)."""
    parents = frame["parent_code"].to_numpy(dtype=object)
    named = {
        column: np.full(len(frame), None, dtype=object) for column in PLACE_NAME_COLUMNS.values()
    }
    unread = ~pd.isna(parents)
    if view is not None:
        kept = view.place_names
        at = kept.positions(parents)
        held = at >= 0
        for level, column in PLACE_NAME_COLUMNS.items():
            named[column][held] = kept.names[level][at[held]]
        unread &= ~held
    if unread.any():
        read = _read_place_names(store, as_of, parents[unread])
        for column in PLACE_NAME_COLUMNS.values():
            named[column][unread] = read[column]
    out = frame.copy()
    for column, values in named.items():
        out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


def _read_place_names(
    store: Store, as_of: date, parents: NDArray[np.object_]
) -> dict[str, NDArray[np.object_]]:
    """Per code of ``parents``, the names of the units of ``PLACE_NAME_COLUMNS``' levels
    in its chain up the tree of ``as_of`` (itself first), read from the store level by
    level: only the units above ``parents``."""
    read: list[pd.DataFrame] = []
    wanted = set(parents)
    while wanted:
        query = UnitQuery(
            as_of=as_of,
            codes=tuple(sorted(wanted)),
            with_geometry=False,
            columns=("code", "name", "level", "parent_code"),
        )
        above = store.units(query)
        read.append(above)
        seen = set().union(*(set(f["code"]) for f in read))
        wanted = set(above["parent_code"].dropna()) - seen
    columns = ["code", "name", "level", "parent_code"]
    places = pd.concat([f for f in read if not f.empty] or [pd.DataFrame(columns=columns)])
    places = places[places["level"].isin(list(PLACE_NAME_COLUMNS))].reset_index(drop=True)
    # The units each code lies in: itself, then its own ancestors.
    chains = UnitTree(places).chains(pd.Series(parents, dtype=object))
    named = names_at_levels(places, chains)
    return {column: named[level] for level, column in PLACE_NAME_COLUMNS.items()}


def ancestors(store: Store, when: date, parent: str | None) -> list[dict[str, Any]]:
    """The units above one (code, name, unit_type), its parent first, read one by one up
    the tree (at most three)."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    columns = ("code", "name", "unit_type", "parent_code")
    while isinstance(parent, str) and parent not in seen:
        seen.add(parent)
        query = UnitQuery(as_of=when, codes=(parent,), with_geometry=False, columns=columns)
        above = store.units(query)
        if above.empty:
            break
        row = above.iloc[0]
        found.append({"code": parent, "name": row["name"], "unit_type": row["unit_type"]})
        parent = row["parent_code"]
    return found
