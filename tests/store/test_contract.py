"""The store contract: what every backend must do, proven on a real database file."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS, UNIT_COLUMNS
from geo_service.store import ImportBatch, ImportSource, Store, StoreChanged, UnitQuery

SOURCE = ImportSource("boundaries", "test.geojson", "0" * 64)


def units_frame(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    defaults: dict[str, object] = {
        "unit_type": "xa",
        "level": 3,
        "parent_code": None,
        "population": None,
        "households": None,
        "valid_from": None,
        "valid_to": None,
        "geometry_quality": "surveyed",
        "label_lon": None,
        "label_lat": None,
        "source": "test",
    }
    full = [defaults | row for row in rows]
    frame = pd.DataFrame(full)
    geometry = frame.pop("geometry")
    return gpd.GeoDataFrame(frame[UNIT_COLUMNS], geometry=list(geometry), crs="EPSG:4326")


def models_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    defaults = {c: None for c in MODEL_COLUMNS} | {"status": "active", "extra": {}}
    return pd.DataFrame([defaults | r for r in rows], columns=MODEL_COLUMNS)


def teams_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    defaults = {c: None for c in TEAM_COLUMNS}
    return pd.DataFrame([defaults | r for r in rows], columns=TEAM_COLUMNS)


PROVINCE = {
    "code": "27",
    "name": "Tỉnh Bắc Ninh",
    "unit_type": "tinh",
    "level": 1,
    "geometry": box(105.9, 20.9, 106.3, 21.3),
    "valid_to": date(2025, 7, 1),
}
COMMUNE_OLD = {
    "code": "09496",
    "name": "Thị trấn Thứa",
    "unit_type": "thi_tran",
    "parent_code": "27",
    "geometry": box(106.2, 21.0, 106.25, 21.05),
    "valid_to": date(2025, 7, 1),
    "population": 10795,
}
COMMUNE_NEW = {
    "code": "09496",
    "name": "Xã Lương Tài",
    "parent_code": "24",
    "geometry": box(106.15, 20.95, 106.3, 21.1),
    "valid_from": date(2025, 7, 1),
}
VILLAGE = {
    "code": "09496-001",
    "name": "Khu phố 1",
    "unit_type": "khu_pho",
    "level": 4,
    "parent_code": "09496",
    "geometry": None,
    "geometry_quality": "none",
}


def test_new_store_is_empty(store: Store) -> None:
    assert store.is_empty()
    units = store.units()
    assert units.empty
    assert set(UNIT_COLUMNS) <= set(units.columns)
    assert store.models().empty and store.teams().empty and store.lineage().empty


def test_units_round_trip_keeps_text_geometry_and_dates(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    units = store.units().set_index("code")
    assert units.loc["09496", "name"] == "Thị trấn Thứa"
    assert units.loc["09496", "valid_to"] == "2025-07-01"
    assert units.loc["09496", "population"] == 10795
    geometry = units.loc["27", "geometry"]
    assert isinstance(geometry, MultiPolygon)  # polygons are stored as the declared type
    assert shapely.equals(geometry, box(105.9, 20.9, 106.3, 21.3))
    assert units.loc["09496-001", "geometry"] is None
    assert store.units().crs.to_epsg() == 4326


def test_units_upsert_on_code_and_valid_from(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD, COMMUNE_NEW])))
    renamed = COMMUNE_OLD | {"name": "Thị trấn Thứa (sửa)"}
    store.apply(ImportBatch(SOURCE, units=units_frame([renamed])))
    units = store.units()
    assert len(units) == 2
    assert sorted(units["name"]) == ["Thị trấn Thứa (sửa)", "Xã Lương Tài"]


def test_as_of_picks_the_unit_valid_that_day(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([COMMUNE_OLD, COMMUNE_NEW])))
    before = store.units(UnitQuery(as_of=date(2025, 6, 30)))
    after = store.units(UnitQuery(as_of=date(2025, 7, 1)))
    assert before["name"].tolist() == ["Thị trấn Thứa"]
    assert after["name"].tolist() == ["Xã Lương Tài"]


def test_filters_by_level_parent_codes_and_bbox(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    assert store.units(UnitQuery(level=1))["code"].tolist() == ["27"]
    assert store.units(UnitQuery(parent_code="09496"))["code"].tolist() == ["09496-001"]
    assert store.units(UnitQuery(codes=("27", "nope")))["code"].tolist() == ["27"]
    inside = store.units(UnitQuery(bbox=(106.21, 21.01, 106.22, 21.02)))
    assert sorted(inside["code"]) == ["09496", "27"]
    assert store.units(UnitQuery(bbox=(100.0, 10.0, 100.1, 10.1))).empty


def test_filters_by_many_parent_codes_and_long_code_lists(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    under = store.units(UnitQuery(parent_codes=("09496", "27")))
    assert sorted(under["code"]) == ["09496", "09496-001"]
    assert store.units(UnitQuery(parent_codes=())).empty
    # a national import asks for every code it holds: far beyond SQL's parameter limits
    many = (*(f"{i:05d}" for i in range(40_000)), "27")
    assert store.units(UnitQuery(codes=many, level=1))["code"].tolist() == ["27"]


def test_long_code_lists_find_what_short_ones_find(store: Store) -> None:
    villages = [
        VILLAGE
        | {"code": f"V{i:05d}", "name": f"Thôn {i}", "population": i}
        | ({"geometry": box(106.2 + i * 1e-4, 21.0, 106.2001 + i * 1e-4, 21.001)} if i % 2 else {})
        for i in range(3_000)
    ]
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, *villages])))
    short = pd.concat(  # the same rows, asked for 500 codes at a time
        store.units(UnitQuery(codes=tuple(f"V{i:05d}" for i in range(start, start + 500))))
        for start in range(0, 3_000, 500)
    ).reset_index(drop=True)
    absent = [f"X{i:05d}" for i in range(20_000)]
    asked = (*absent, *(f"V{i:05d}" for i in range(3_000)), "V00001")  # mostly stored codes
    found = store.units(UnitQuery(codes=asked))
    pd.testing.assert_frame_equal(
        pd.DataFrame(found[UNIT_COLUMNS]), pd.DataFrame(short[UNIT_COLUMNS])
    )
    assert shapely.equals_exact(found.geometry.values, short.geometry.values, 0).sum() == 1_500
    assert found.geometry.isna().sum() == 1_500
    few = store.units(UnitQuery(codes=(*absent, "V02999", "27"), with_geometry=False))
    assert few["code"].tolist() == ["27", "V02999"] and few.geometry.isna().all()
    light = store.units(UnitQuery(codes=asked, level=4, columns=("population",)))
    assert light["population"].tolist() == list(range(3_000))


def test_units_without_geometry_keep_every_attribute(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    light = store.units(UnitQuery(with_geometry=False))
    full = store.units()
    assert light.geometry.isna().all()
    assert light.crs is not None and light.crs.to_epsg() == 4326
    pd.testing.assert_frame_equal(
        pd.DataFrame(light[UNIT_COLUMNS]), pd.DataFrame(full[UNIT_COLUMNS])
    )


def test_units_read_with_only_some_columns(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    query = UnitQuery(level=3, with_geometry=False, columns=("valid_to", "code"))
    narrow = store.units(query)
    assert [c for c in narrow.columns if c != "geometry"] == ["code", "valid_to"]
    assert narrow["code"].tolist() == ["09496"] and narrow["valid_to"].tolist() == ["2025-07-01"]
    with pytest.raises(ValueError, match="no unit column"):
        store.units(UnitQuery(columns=("code", "members")))
    many = (*(f"X{i:05d}" for i in range(40_000)), "09496-001")  # a national import's list
    named = store.units(UnitQuery(codes=many, columns=("name",)))
    assert [c for c in named.columns if c != "geometry"] == ["name"]
    assert named["name"].tolist() == ["Khu phố 1"] and named.geometry.isna().all()


def test_ended_units_and_held_codes(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([PROVINCE, COMMUNE_OLD, VILLAGE])))
    ended = store.units(UnitQuery(ended=True, with_geometry=False))
    assert sorted(ended["code"]) == ["09496", "27"]  # those with a valid_to
    assert store.units(UnitQuery(ended=True, level=3))["code"].tolist() == ["09496"]
    assert store.held_codes(["27", "09496-001", "nope", "27"]) == {"27", "09496-001"}
    assert store.held_codes([]) == set()
    # a national import's list: far longer than the table, mostly codes not stored
    many = [f"{i:05d}" for i in range(40_000)] + ["09496"]
    assert store.held_codes(many) == {"09496"}


def test_unit_closures_end_validity(store: Store) -> None:
    store.apply(ImportBatch(SOURCE, units=units_frame([VILLAGE])))
    store.apply(ImportBatch(SOURCE, unit_closures=[("09496-001", None, date(2025, 7, 1))]))
    assert store.units()["valid_to"].tolist() == ["2025-07-01"]
    assert store.units(UnitQuery(as_of=date(2026, 1, 1))).empty


def test_models_upsert_and_teams_replace(store: Store) -> None:
    model = {
        "model_id": "M1",
        "type_code": "patrol_team",
        "name": "Tổ tuần tra",
        "unit_code": "09496",
        "launch_date": "2022-06-16",
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
    assert models["launch_date"].tolist() == ["2022-06-16"]
    assert store.teams()["team_id"].tolist() == ["M1/001"]
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
    types = pd.DataFrame(
        [
            {
                "code": "patrol_team",
                "name_vi": "Tổ tuần tra nhân dân",
                "name_en": "Patrol",
                "counts_as_model": True,
                "member_unit": "person",
                "description": "",
            }
        ]
    )
    lineage = pd.DataFrame(
        [{"old_code": "07057", "new_code": "07054", "kind": "full", "effective": "2025-07-01"}]
    )
    store.apply(ImportBatch(SOURCE, model_types=types, lineage=lineage))
    store.apply(
        ImportBatch(
            SOURCE, model_types=types.assign(name_en="People's patrol team"), lineage=lineage
        )
    )
    assert store.model_types()["name_en"].tolist() == ["People's patrol team"]
    assert store.model_types()["counts_as_model"].tolist() == [True]
    assert len(store.lineage()) == 1


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
