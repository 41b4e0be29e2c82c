"""The store contract, reads of whole tables (coverage of the country reads every unit
without geometry, every model and every team): the same rows, values and types as the
same rows read by a filter, whatever way a backend reads a whole table."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from geo_service.store import ImportBatch, Store, UnitQuery
from tests.store.samples import (
    COMMUNE_NEW,
    COMMUNE_OLD,
    PATROL_TYPE,
    PROVINCE,
    SOURCE,
    VILLAGE,
    models_frame,
    teams_frame,
    units_frame,
)

PLACED_VILLAGE = VILLAGE | {
    "code": "09496-002",
    "name": "Thôn Đông",
    "population": 420,
    "households": 101,
    "label_lon": 106.21,
    "label_lat": 21.02,
    "valid_from": date(2024, 1, 1),
}
WHOLE_READS = [
    UnitQuery(with_geometry=False),
    UnitQuery(as_of=date(2025, 6, 30), with_geometry=False),
    UnitQuery(as_of=date(2025, 7, 1), with_geometry=False),
    UnitQuery(as_of=date(2023, 1, 1), with_geometry=False, columns=("code", "valid_to")),
    UnitQuery(with_geometry=False, order=("-population", "name")),
    UnitQuery(with_geometry=False, order=("-valid_to", "label_lon")),
]


def _fill(store: Store) -> None:
    units = units_frame([PROVINCE, COMMUNE_OLD, COMMUNE_NEW, VILLAGE, PLACED_VILLAGE])
    models = models_frame(
        [
            {
                "model_id": "M2",
                "type_code": "patrol_team",
                "name": "Tổ tuần tra",
                "unit_code": "09496",
                "launch_date": date(2024, 3, 1),
                "members": 12,
                "extra": {"people_helped": 7.0},
            },
            {"model_id": "M1", "type_code": "patrol_team", "name": "Tổ 1", "unit_code": "27"},
        ]
    )
    teams = teams_frame(
        [
            {"team_id": "M2/002", "model_id": "M2", "unit_code": "09496-002", "members": 5},
            {
                "team_id": "M2/001",
                "model_id": "M2",
                "unit_code": "09496-001",
                "lon": 106.2,
                "lat": 21.0,
            },
            {"team_id": "M1/001", "model_id": "M1", "unit_code": "27"},
        ]
    )
    model_types = pd.DataFrame([PATROL_TYPE])
    store.apply(
        ImportBatch(SOURCE, units=units, model_types=model_types, models=models, teams=teams)
    )


@pytest.mark.parametrize("query", WHOLE_READS, ids=lambda query: repr(query)[:80])
def test_a_whole_read_of_units_equals_the_same_rows_read_by_code(
    store: Store, query: UnitQuery
) -> None:
    _fill(store)
    every_code = tuple(store.units(UnitQuery(with_geometry=False, columns=("code",)))["code"])
    whole = store.units(query)
    by_code = store.units(replace(query, codes=every_code))
    assert len(whole) > 0
    pd.testing.assert_frame_equal(whole, by_code, check_exact=True)


def test_a_whole_read_of_models_and_teams_equals_the_rows_read_by_model(store: Store) -> None:
    _fill(store)
    models, teams = store.models(), store.teams()
    assert models["model_id"].tolist() == ["M1", "M2"]
    assert teams["team_id"].tolist() == ["M1/001", "M2/001", "M2/002"]
    pd.testing.assert_frame_equal(models, store.models(model_ids=["M1", "M2"]), check_exact=True)
    pd.testing.assert_frame_equal(teams, store.teams(model_ids=["M1", "M2"]), check_exact=True)
    assert models.set_index("model_id").loc["M2", "launch_date"] == date(2024, 3, 1)
    assert models.set_index("model_id").loc["M2", "extra"] == {"people_helped": 7.0}
    assert teams["leader_role"].isna().all()


def test_whole_reads_of_a_store_without_units_or_models_are_empty(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, model_types=pd.DataFrame([PATROL_TYPE])))
    assert store.units(UnitQuery(with_geometry=False)).empty
    assert store.models().empty and store.teams().empty
