"""A site keeps its point (issue 13, item 6): ``lon``/``lat`` in EPSG:4326, NaN where the
register gave none, written and undone with the rest of its import."""

from __future__ import annotations

import math

import numpy as np

from geo_service.store import ImportBatch, Store
from tests.store.samples import SOURCE, models_frame, teams_frame

MODEL = {"model_id": "M1", "type_code": "security_camera", "name": "Camera", "unit_code": "09496"}

CAMERA = {"team_id": "M1/001", "model_id": "M1", "unit_code": "09496-001", "cameras": 1}


def test_a_site_keeps_its_point_and_one_without_reads_nan(store: Store) -> None:
    teams = [
        CAMERA | {"lon": 106.2156789, "lat": 21.0156789},
        CAMERA | {"team_id": "M1/002", "unit_code": "09496"},
    ]
    store.apply(ImportBatch(SOURCE, models=models_frame([MODEL]), teams=teams_frame(teams)))
    read = store.teams().set_index("team_id")
    assert read["lon"].dtype == np.float64 and read["lat"].dtype == np.float64
    assert read.loc["M1/001", ["lon", "lat"]].tolist() == [106.2156789, 21.0156789]
    assert math.isnan(read.loc["M1/002", "lon"]) and math.isnan(read.loc["M1/002", "lat"])
    assert read.loc["M1/001", "unit_code"] == "09496-001"


def test_sites_without_any_point_and_the_empty_store_read_float_columns(store: Store) -> None:
    assert store.teams()[["lon", "lat"]].dtypes.tolist() == [np.float64, np.float64]
    store.apply(ImportBatch(SOURCE, models=models_frame([MODEL]), teams=teams_frame([CAMERA])))
    read = store.teams()
    assert read[["lon", "lat"]].dtypes.tolist() == [np.float64, np.float64]
    assert read[["lon", "lat"]].isna().all().all()


def test_a_moved_point_is_replaced_and_undo_puts_it_back(store: Store) -> None:
    first = teams_frame([CAMERA | {"lon": 106.21, "lat": 21.01}])
    store.apply(ImportBatch(SOURCE, models=models_frame([MODEL]), teams=first))
    moved = teams_frame([CAMERA | {"lon": 106.22, "lat": 21.02}])
    second = store.apply(ImportBatch(SOURCE, models=models_frame([MODEL]), teams=moved))
    assert store.teams()[["lon", "lat"]].values.tolist() == [[106.22, 21.02]]
    store.undo(second)
    assert store.teams()[["lon", "lat"]].values.tolist() == [[106.21, 21.01]]
