"""Coverage for a request: the configured policy, narrowed by the request's filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import geopandas as gpd
import pandas as pd
from fastapi import HTTPException, Response

from geo_service.api.serialise import (
    CSV_MEDIA_TYPE,
    csv_for_excel,
    download,
    feature_collection,
    geojson_response,
)
from geo_service.pipeline import CoverageView, coverage_as_of
from geo_service.settings import Settings
from geo_service.store import Store


def policy_of(settings: Settings, model_type: str | None) -> dict[str, object]:
    """The policy a response was computed with, to be shown alongside it."""
    policy = settings.coverage.model_dump()
    if model_type is not None:
        policy["required_types"] = [model_type]
    return policy


def table_response(
    frame: gpd.GeoDataFrame,
    *,
    columns: list[str],
    csv_columns: list[str],
    stem: str,
    format: str,
    extra: Mapping[str, object],
) -> Response:
    """The same rows as GeoJSON (shown inline) or as a CSV download for Excel."""
    if format == "csv":
        present = [c for c in csv_columns if c in frame.columns]
        table = frame[present].copy()
        for column in ("model_types", "missing_types"):
            if column in table.columns:
                table[column] = table[column].map("; ".join)
        return download(csv_for_excel(table), CSV_MEDIA_TYPE, f"{stem}.csv")
    body = feature_collection(frame, columns, extra=dict(extra))
    return geojson_response(body, f"{stem}.geojson")


def coverage_view(
    store: Store, settings: Settings, as_of: date, parent: str | None, model_type: str | None
) -> CoverageView:
    policy = settings.coverage
    if model_type is not None:
        known = set(store.model_types()["code"])
        if model_type not in known:
            raise HTTPException(
                422, f"unknown model_type '{model_type}'; known types: {', '.join(sorted(known))}"
            )
        policy = policy.model_copy(update={"required_types": [model_type]})
    return coverage_as_of(store, policy, as_of, parent)


def with_place_names(view: CoverageView, frame: pd.DataFrame) -> pd.DataFrame:
    """Add commune/district/province names, so a row reads on its own in a spreadsheet."""
    names = dict(zip(view.result.rollups["code"], view.result.rollups["name"], strict=True))
    parents = dict(
        zip(view.result.rollups["code"], view.result.rollups["parent_code"], strict=True)
    )
    out = frame.copy()
    level_names = ["commune_name", "district_or_province_name", "province_name"]
    current = out["parent_code"]
    for column in level_names:
        out[column] = current.map(names)
        current = current.map(parents)
    if out["province_name"].isna().all():
        out = out.drop(columns="province_name")
    return out
