"""The store contract, values: what crosses the interface is Python and pandas values
(dates, timezone-aware times, dicts, bools, nullable counts, MultiPolygons), never a
backend's storage form (ISO text, JSON text, 0/1, blobs)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from shapely.geometry import MultiPolygon

from geo_service.store import ImportBatch, Store, UnitQuery
from tests.store.samples import (
    COMMUNE_NEW,
    COMMUNE_OLD,
    LINK,
    PATROL_TYPE,
    PROVINCE,
    SOURCE,
    VILLAGE,
    models_frame,
    teams_frame,
    units_frame,
)

MODEL = {"model_id": "M1", "type_code": "patrol_team", "name": "Tổ", "unit_code": "09496"}
TYPES = pd.DataFrame([PATROL_TYPE, PATROL_TYPE | {"code": "camera", "counts_as_model": False}])


def _kinds(values: pd.Series) -> set[type]:
    return {type(value) for value in values}


def test_dates_read_back_as_dates_whether_given_as_dates_or_iso_text(store: Store) -> None:
    as_text = COMMUNE_NEW | {"valid_from": "2025-07-01"}
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD, as_text, VILLAGE])))
    lineage = pd.DataFrame([LINK])
    models = models_frame(
        [MODEL | {"launch_date": "2022-06-16"}, MODEL | {"model_id": "M2", "launch_date": None}]
    )
    store.apply(ImportBatch(SOURCE, lineage=lineage, models=models))
    units = store.units().set_index(["code", "name"])
    assert units.loc[("09496", "Xã Lương Tài"), "valid_from"] == date(2025, 7, 1)
    assert units.loc[("09496", "Thị trấn Thứa"), "valid_to"] == date(2025, 7, 1)
    assert units.loc[("09496-001", "Khu phố 1"), "valid_from"] is None
    assert _kinds(units["valid_from"]) == {date, type(None)}
    assert _kinds(units["valid_to"]) == {date, type(None)}
    assert store.lineage()["effective"].tolist() == [date(2025, 7, 1)]
    assert store.models()["launch_date"].tolist() == [date(2022, 6, 16), None]
    # the day stored from ISO text is the day a date filter finds
    on_the_day = store.units(UnitQuery(as_of=date(2025, 7, 1), level=3))
    assert on_the_day["name"].tolist() == ["Xã Lương Tài"]


def test_a_batch_holds_dates_as_dates_whatever_it_was_given() -> None:
    units = units_frame(
        [
            COMMUNE_OLD | {"valid_from": pd.Timestamp("2020-01-01"), "valid_to": "2025-07-01"},
            VILLAGE,
        ]
    )
    batch = ImportBatch(
        SOURCE,
        units=units,
        unit_closures=[("09496-001", "2020-01-01", pd.Timestamp("2025-07-01"))],
    )
    assert batch.units is not None
    assert batch.units["valid_from"].tolist() == [date(2020, 1, 1), None]
    assert batch.units["valid_to"].tolist() == [date(2025, 7, 1), None]
    assert batch.unit_closures == [("09496-001", date(2020, 1, 1), date(2025, 7, 1))]
    assert units["valid_to"].iloc[0] == "2025-07-01"  # the caller's frame is kept
    with pytest.raises(ValueError, match=r"not a date|Invalid isoformat"):
        ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD | {"valid_to": "1 July"}]))


def test_the_import_log_holds_times_and_a_dict_of_counts(store: Store) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    first = store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD])))
    closing = ImportBatch(SOURCE, unit_closures=[("27", None, date(2025, 7, 1))])
    second = store.apply(closing)
    store.undo(second)
    log = store.imports().set_index("id")
    assert log.loc[first, "counts"] == {"units": 2}
    assert log.loc[second, "counts"] == closing.counts() == {"unit_closures": 1}
    for stamp in (log.loc[first, "at"], log.loc[second, "at"], log.loc[second, "undone_at"]):
        assert isinstance(stamp, datetime) and stamp.utcoffset() == timedelta(0)
        assert before <= stamp <= datetime.now(UTC)
    assert log.loc[first, "undone_at"] is None


def test_models_teams_and_types_keep_their_value_kinds(store: Store) -> None:
    model = MODEL | {"members": 13, "extra": {"people_helped": 124.0}}
    team = {"team_id": "M1/001", "model_id": "M1", "unit_code": "09496-001", "members": None}
    batch = ImportBatch(
        SOURCE, model_types=TYPES, models=models_frame([model]), teams=teams_frame([team])
    )
    store.apply(batch)
    models, teams, types = store.models(), store.teams(), store.model_types()
    assert models["extra"].tolist() == [{"people_helped": 124.0}]
    assert str(models["members"].dtype) == "Int64" and models["members"].tolist() == [13]
    assert str(teams["members"].dtype) == "Int64" and teams["members"].isna().all()
    assert types["counts_as_model"].dtype == bool
    assert types["counts_as_model"].tolist() == [True, False]


def test_unit_values_keep_their_kinds(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    units = store.units().set_index("code")
    assert str(units["population"].dtype) == "Int64"
    assert units.loc["09496", "population"] == 10795
    assert units["population"].isna().sum() == 2
    assert units["level"].tolist() == [1, 3, 4]
    assert isinstance(units.loc["27", "geometry"], MultiPolygon)
    assert units.loc["09496-001", "geometry"] is None
