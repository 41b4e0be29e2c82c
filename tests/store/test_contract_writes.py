"""The store contract, writes: upserts, closures, one transaction per import, the import
log, undo and the generation that concurrent imports check."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geo_service.store import ImportBatch, ImportSource, Store, StoreChanged, UnitQuery
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


def test_unit_closures_end_validity(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([VILLAGE])))
    store.apply(ImportBatch(SOURCE, unit_closures=[("09496-001", None, date(2025, 7, 1))]))
    assert store.units()["valid_to"].tolist() == [date(2025, 7, 1)]
    assert store.units(UnitQuery(as_of=date(2026, 1, 1))).empty


def test_models_upsert_and_teams_replace(store: Store) -> None:
    model = {
        "model_id": "M1",
        "type_code": "patrol_team",
        "name": "Tổ tuần tra",
        "unit_code": "09496",
        "launch_date": date(2022, 6, 16),
        "members": 13,
        "extra": {"people_helped": 124.0},
    }
    teams = [
        {"team_id": "M1/001", "model_id": "M1", "unit_code": "09496-001", "members": 7},
        {"team_id": "M1/002", "model_id": "M1", "unit_code": "09496-002", "members": 6},
    ]
    store.apply(ImportBatch(SOURCE, models=models_frame([model]), teams=teams_frame(teams)))
    store.apply(
        ImportBatch(
            SOURCE, models=models_frame([model | {"members": 7}]), teams=teams_frame(teams[:1])
        )
    )
    models = store.models()
    assert models["members"].tolist() == [7]
    assert models["extra"].tolist() == [{"people_helped": 124.0}]
    assert models["launch_date"].tolist() == [date(2022, 6, 16)]
    assert models["ended_on"].tolist() == [None]
    assert store.teams()["team_id"].tolist() == ["M1/001"]
    store.apply(ImportBatch(SOURCE, models=models_frame([model | {"ended_on": "2026-01-02"}])))
    assert store.models()["ended_on"].tolist() == [date(2026, 1, 2)]
    assert store.models(unit_codes=["other"]).empty
    assert store.teams(model_ids=["M1"])["members"].tolist() == [7]


def test_failed_import_changes_nothing(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    before_imports = len(store.imports())
    broken_model = models_frame(
        [{"model_id": "M1", "type_code": "patrol_team", "name": None, "unit_code": "09496"}]
    )  # name is required
    with pytest.raises(Exception):  # noqa: B017 - any backend error type will do
        store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD]), models=broken_model))
    assert store.units()["code"].tolist() == ["27"]
    assert store.models().empty
    assert len(store.imports()) == before_imports


def test_model_types_and_lineage_upsert(store: Store) -> None:
    types = pd.DataFrame([PATROL_TYPE])
    lineage = pd.DataFrame([LINK])
    store.apply(ImportBatch(SOURCE, model_types=types, lineage=lineage))
    store.apply(
        ImportBatch(
            SOURCE, model_types=types.assign(name_en="People's patrol team"), lineage=lineage
        )
    )
    assert store.model_types()["name_en"].tolist() == ["People's patrol team"]
    assert store.model_types()["counts_as_model"].tolist() == [True]
    assert len(store.lineage()) == 1


def test_model_types_keep_their_aliases(store: Store) -> None:
    aliases = "Tổ tuần tra | Đội tuần tra | Patrol team"
    store.apply(
        ImportBatch(SOURCE, model_types=pd.DataFrame([{**PATROL_TYPE, "aliases": aliases}]))
    )
    assert store.model_types()["aliases"].tolist() == [aliases]
    # A batch without the column writes none (catalogues made before aliases existed).
    store.apply(ImportBatch(SOURCE, model_types=pd.DataFrame([PATROL_TYPE])))
    assert store.model_types()["aliases"].tolist() == [""]


def test_import_log_keeps_the_notes_of_an_import(store: Store) -> None:
    notes = ("register.csv, row 7: row skipped: marked '-' in review.csv, row 2: trùng lặp",)
    source = ImportSource("models", "register.csv", "0" * 64, notes)
    store.apply(ImportBatch(source, units=units_frame([PROVINCE])))
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD])))
    assert store.imports()["notes"].tolist() == [list(notes), []]


def test_import_log_records_each_import(store: Store) -> None:
    first = store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    second = store.apply(ImportBatch(ImportSource("models", "reg.csv", "f" * 64)))
    log = store.imports()
    assert log["id"].tolist() == [first, second]
    assert log["kind"].tolist() == ["boundaries", "models"]
    assert log["file_name"].tolist() == ["test.geojson", "reg.csv"]


def test_undo_restores_the_state_before_the_import(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    model = {"model_id": "M1", "type_code": "patrol_team", "name": "Tổ", "unit_code": "09496"}
    team = {"team_id": "M1/001", "model_id": "M1", "unit_code": "09496-001", "members": 7}
    store.apply(ImportBatch(SOURCE, models=models_frame([model]), teams=teams_frame([team])))
    units_before, models_before = store.units(), store.models()
    changed = ImportBatch(
        SOURCE,
        units=units_frame([COMMUNE_OLD | {"name": "Sửa tên"}, COMMUNE_NEW]),
        unit_closures=[("09496-001", None, date(2025, 7, 1))],
        models=models_frame([model | {"name": "Tổ mới"}]),
        teams=teams_frame([]),
    )
    latest = store.apply(changed)
    assert store.teams().empty and len(store.units()) == 4
    store.undo(latest)
    pd.testing.assert_frame_equal(store.units(), units_before)
    pd.testing.assert_frame_equal(store.models(), models_before)
    assert store.teams()["team_id"].tolist() == ["M1/001"]
    log = store.imports().set_index("id")
    assert log.loc[latest, "undone_at"] is not None


def test_only_the_latest_live_import_can_be_undone(store: Store) -> None:
    first = store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    second = store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD])))
    with pytest.raises(ValueError, match="latest"):
        store.undo(first)
    with pytest.raises(LookupError):
        store.undo(999)
    store.undo(second)
    with pytest.raises(ValueError, match="already undone"):
        store.undo(second)
    store.undo(first)
    assert store.units().empty


def test_a_store_exists_from_its_first_write(store: Store) -> None:
    assert not store.exists() and store.generation() == 0
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    assert store.exists()


def test_generation_changes_with_every_write(store: Store) -> None:
    seen = [store.generation()]
    first = store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])))
    seen.append(store.generation())
    second = store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD])))
    seen.append(store.generation())
    store.undo(second)
    seen.append(store.generation())
    store.undo(first)
    seen.append(store.generation())
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD])))
    seen.append(store.generation())
    assert len(set(seen)) == len(seen)
    store.units(), store.imports()
    assert store.generation() == seen[-1]  # reads change nothing


def test_a_write_expecting_an_older_generation_changes_nothing(store: Store) -> None:
    seen = store.generation()
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE])), expected_generation=seen)
    units, log = store.units(), store.imports()
    with pytest.raises(StoreChanged):
        store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD])), expected_generation=seen)
    pd.testing.assert_frame_equal(store.units(), units)
    pd.testing.assert_frame_equal(store.imports(), log)


def test_models_and_teams_are_read_by_unit_and_by_model(store: Store) -> None:
    """What coverage of a subtree reads: the sites placed in it and the models they serve."""
    base = {"type_code": "patrol_team", "name": "Tổ", "launch_date": date(2022, 6, 16)}
    models = [base | {"model_id": m, "unit_code": u} for m, u in [("A", "01"), ("B", "02")]]
    teams = [
        {"team_id": "A/1", "model_id": "A", "unit_code": "01-1"},
        {"team_id": "A/2", "model_id": "A", "unit_code": "02-1"},
        {"team_id": "B/1", "model_id": "B", "unit_code": "02-1"},
    ]
    store.apply(ImportBatch(SOURCE, models=models_frame(models), teams=teams_frame(teams)))
    assert store.models(model_ids=["B"])["unit_code"].tolist() == ["02"]
    assert store.models(unit_codes=["01", "02"], model_ids=["A"])["model_id"].tolist() == ["A"]
    assert store.models(unit_codes=["01"], model_ids=["B"]).empty
    assert store.teams(unit_codes=["02-1"])["team_id"].tolist() == ["A/2", "B/1"]
    assert store.teams(model_ids=["A"], unit_codes=["02-1"])["team_id"].tolist() == ["A/2"]
    assert store.teams(unit_codes=[]).empty
