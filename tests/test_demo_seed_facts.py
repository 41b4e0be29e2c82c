"""The bundled demo reproduces every seed fact of DOMAIN.md §2, before and after the 2025 reform."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from geo_service.pipeline import CoverageView, coverage_as_of
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
    assert patrol["launch_date"].tolist() == ["2022-06-16"]
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
    assert group["launch_date"].tolist() == ["2024-10-10"]
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
