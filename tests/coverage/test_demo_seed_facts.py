"""The bundled demo reproduces every seed fact of DOMAIN.md §2, before and after the 2025 reform."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geo_service.coverage.reads import CoverageView, coverage_as_of
from geo_service.settings import CoveragePolicy
from geo_service.store import Store

BEFORE = date(2025, 6, 30)
AFTER = date(2026, 1, 1)


def view(store: Store, on: date, root: str | None = None) -> CoverageView:
    return coverage_as_of(store, CoveragePolicy(), on, root)


def rollup(result_view: CoverageView, code: str) -> pd.Series:
    rows = result_view.result.rollups
    return rows[rows["code"] == code].iloc[0]


def models_of(result_view: CoverageView, commune: str) -> pd.DataFrame:
    models = result_view.models
    return models[models["unit_code"] == commune]


def test_thua_patrol_team_in_8_of_8_villages_with_52_members(demo_store: Store) -> None:
    seen = view(demo_store, BEFORE, "09496")
    thua = rollup(seen, "09496")
    assert thua["name"] == "Thị trấn Thứa"
    assert (thua["villages_covered"], thua["villages_total"]) == (8, 8)
    assert thua["members"] == 52
    patrol = models_of(seen, "09496")
    assert patrol["type_code"].tolist() == ["patrol_team"]
    assert patrol["launch_date"].tolist() == [date(2022, 6, 16)]
    assert patrol["members"].tolist() == [52]
    assert "Ban chỉ đạo" in patrol["decision"].iloc[0] and "Quy chế" in patrol["decision"].iloc[0]


def test_bang_ca_self_managed_groups_in_3_villages_with_23_members(demo_store: Store) -> None:
    seen = view(demo_store, BEFORE, "07057")
    sites = seen.result.sites
    groups = sites[sites["type_code"] == "self_managed_group"]
    assert groups["unit_code"].nunique() == 3
    assert groups["members"].sum() == 23
    teams = demo_store.teams(model_ids=list(groups["model_id"].unique()))
    assert set(teams["leader_role"]) == {"Trưởng thôn"}
    types = set(models_of(seen, "07057")["type_code"])
    assert {
        "self_managed_group",
        "grassroots_security",
        "reputable_persons",
        "fire_safe_area",
        "security_camera",
    } <= types
    fire = sites[sites["type_code"] == "fire_safe_area"]
    names = dict(zip(seen.result.villages["code"], seen.result.villages["name"], strict=True))
    assert [names[c] for c in fire["unit_code"]] == ["Thôn 1"]
    review = models_of(seen, "07057").query("type_code == 'self_managed_group'")["decision"]
    assert "29/9" in review.iloc[0]


def test_vien_son_inter_household_group_of_24_households(demo_store: Store) -> None:
    seen = view(demo_store, BEFORE, "09595")
    group = models_of(seen, "09595")
    assert group["type_code"].tolist() == ["inter_household_group"]
    assert group["launch_date"].tolist() == [date(2024, 10, 10)]
    covered = seen.result.villages[seen.result.villages["covered"]]
    assert covered["name"].tolist() == ["Tổ dân phố 4 Tiền Huân"]
    assert covered["member_households"].tolist() == [24]
    assert rollup(seen, "09595")["villages_uncovered"] > 0  # the visible gaps
    assert view(demo_store, date(2024, 10, 9), "09595").result.villages["covered"].sum() == 0


def test_thieu_hoa_street_protection_anxh_cameras_and_reintegration(demo_store: Store) -> None:
    seen = view(demo_store, BEFORE, "15772")
    sites = seen.result.sites
    street = sites[sites["type_code"] == "street_protection_team"]
    assert (street["teams"].sum(), street["members"].sum()) == (14, 23)
    assert sites.loc[sites["type_code"] == "social_security_team", "teams"].sum() == 74
    models = models_of(seen, "15772").set_index("type_code")
    assert "security_camera" in models.index
    extra = models.loc["reintegration_support", "extra"]
    assert (extra["nguoi_duoc_giup_do"], extra["duoc_vay_von"]) == (124, 23)
    assert models.loc["security_movement", "extra"]["ty_le_dan_tham_gia_pct"] == 100


def test_phuong_1_has_10_models_and_50_tips_30_valuable(demo_store: Store) -> None:
    seen = view(demo_store, BEFORE, "19357")
    assert rollup(seen, "19357")["models"] == 10
    models = models_of(seen, "19357")
    assert {"drug_free_area", "juvenile_education", "security_camera"} <= set(models["type_code"])
    movement = models[models["type_code"] == "security_movement"].iloc[0]
    assert (movement["tips"], movement["valuable_tips"], movement["tips_year"]) == (50, 30, 2022)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("09496", "09496"),
        ("07057", "07054"),
        ("09595", "09574"),
        ("19357", "19360"),
    ],
)
def test_records_roll_up_into_post_2025_successors(demo_store: Store, old: str, new: str) -> None:
    before = rollup(view(demo_store, BEFORE), old)
    after = rollup(view(demo_store, AFTER), new)
    assert after["villages_covered"] == before["villages_covered"]
    assert after["villages_total"] == before["villages_total"]
    assert pd.isna(after["members"]) == pd.isna(before["members"])
    if not pd.isna(before["members"]):
        assert after["members"] == before["members"]


def test_split_commune_villages_land_in_each_successor(demo_store: Store) -> None:
    after = view(demo_store, AFTER)
    successors = ["15772", "15796", "15835"]
    totals = {c: int(rollup(after, c)["villages_total"]) for c in successors}
    assert sum(totals.values()) == 14
    assert all(total > 0 for total in totals.values())


# -- how complete the village lists are (issue 10, item 8) ---------------------------------------


def village_list(row: pd.Series) -> tuple[str, int, int]:
    return (
        row["data_status"],
        int(row["source_communes_with_villages"]),
        int(row["source_communes_total"]),
    )


def test_thua_has_its_whole_village_list_before_the_reform(demo_store: Store) -> None:
    thua = rollup(view(demo_store, BEFORE), "09496")
    assert village_list(thua) == ("complete", 1, 1)
    assert (thua["villages_covered"], thua["villages_total"]) == (8, 8)


@pytest.mark.parametrize(
    ("code", "name", "known", "sources", "covered", "total"),
    [
        ("09496", "Xã Lương Tài", 1, 3, 8, 8),  # Thứa + Phú Hòa + Tân Lãng
        ("07054", "Xã Quảng La", 1, 4, 3, 4),  # Bằng Cả + Tân Dân, Dân Chủ, Quảng La
        ("15796", "Xã Thiệu Quang", 1, 6, 1, 1),  # a part of Thị trấn Thiệu Hóa, and 5 more
    ],
)
def test_merged_communes_are_partial_not_complete(
    demo_store: Store, code: str, name: str, known: int, sources: int, covered: int, total: int
) -> None:
    merged = rollup(view(demo_store, AFTER), code)
    assert merged["name"] == name
    assert village_list(merged) == ("partial", known, sources)
    assert (merged["villages_covered"], merged["villages_total"]) == (covered, total)


def test_communes_without_villages_are_no_data_not_0_of_0(demo_store: Store) -> None:
    after = view(demo_store, AFTER)
    rollups = after.result.rollups
    communes = rollups[rollups["level"] == 3]
    empty = communes[communes["communes_with_villages"] == 0]
    assert len(empty) == 14 and set(empty["data_status"]) == {"no_data"}  # of 21
    assert empty["villages_total"].isna().all() and empty["villages_covered"].isna().all()
    bac_ninh = rollup(after, "24")
    assert (bac_ninh["communes_with_villages"], bac_ninh["communes_total"]) == (1, 4)
    assert bac_ninh["data_status"] == "partial"
