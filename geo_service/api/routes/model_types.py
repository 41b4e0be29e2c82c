"""``/api/model-types``: the catalogue of model types (data, extendable by import)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from geo_service.api.deps import StoreDep
from geo_service.api.paging import PageAsked
from geo_service.api.serialise import records
from geo_service.domain import MODEL_TYPE_COLUMNS

router = APIRouter(prefix="/api/model-types", tags=["model types"])


@router.get("", summary="The model-type catalogue")
def list_model_types(store: StoreDep, page: PageAsked) -> dict[str, Any]:
    types = store.model_types()
    shown = types.iloc[page.rows(len(types))]
    return {
        "count": len(types),
        **page.body(len(types)),
        "model_types": records(shown, MODEL_TYPE_COLUMNS),
    }
