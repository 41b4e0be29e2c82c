"""``/api/models``: the model register, with per-site counts. No personal data is held here."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query

from geo_service.api.deps import StoreDep
from geo_service.api.paging import PageAsked
from geo_service.api.params import AsOf, Parent, day
from geo_service.api.serialise import records
from geo_service.coverage.reads import models_as_of
from geo_service.domain import MODEL_COLUMNS, MODEL_STATUSES
from geo_service.store import Store
from geo_service.values import member_of, plain

router = APIRouter(prefix="/api/models", tags=["models"])
SITE_COLUMNS = ["unit_code", "unit_name", "name", "members", "households", "cameras", "leader_role"]


@router.get("", summary="Models set up in a unit's subtree, with their sites")
def list_models(
    store: StoreDep,
    page: PageAsked,
    parent: Parent = None,
    type: Annotated[str | None, Query(description="model type code")] = None,
    status: Annotated[str | None, Query(description=", ".join(MODEL_STATUSES))] = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    when = day(as_of)
    if status is not None and status not in MODEL_STATUSES:
        raise HTTPException(
            422, f"unknown status '{status}'; use one of {', '.join(MODEL_STATUSES)}"
        )
    models, teams, units = models_as_of(store, when, parent)
    if type is not None:
        models = models[models["type_code"] == type]
    if status is not None:
        models = models[models["status"] == status]
    total = len(models)
    out = _described(store, models.iloc[page.rows(total)], teams, units)
    return {"as_of": when.isoformat(), "count": total, **page.body(total), "models": out}


@router.get("/{model_id}", summary="One model with its sites")
def get_model(store: StoreDep, model_id: str, as_of: AsOf = None) -> dict[str, Any]:
    models, teams, units = models_as_of(store, day(as_of))
    found = _described(store, models[models["model_id"] == model_id], teams, units)
    if not found:
        raise HTTPException(404, f"no model with id '{model_id}'")
    return {k: plain(v) for k, v in found[0].items()}


def _described(
    store: Store, models: pd.DataFrame, teams: pd.DataFrame, units: pd.DataFrame
) -> list[dict[str, Any]]:
    """``models`` as plain values, each with its unit's and type's names and its sites."""
    names = dict(zip(units["code"], units["name"], strict=True))
    types = store.model_types()
    type_names = dict(zip(types["code"], types["name_vi"], strict=True))
    teams = teams[member_of(teams["model_id"], models["model_id"])]
    teams = teams.assign(unit_name=teams["unit_code"].map(names))
    sites_by_model = {key: records(group, SITE_COLUMNS) for key, group in teams.groupby("model_id")}
    out = []
    for model in records(models, MODEL_COLUMNS):
        model["unit_name"] = names.get(model["unit_code"])
        model["type_name_vi"] = type_names.get(model["type_code"])
        model["teams"] = sites_by_model.get(model["model_id"], [])
        out.append(model)
    return out
