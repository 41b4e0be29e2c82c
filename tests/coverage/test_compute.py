"""Coverage as a pure function: villages, roll-ups, the policy and the as-of date."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo_service.coverage.compute import compute_coverage
from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS
from geo_service.settings import CoveragePolicy

TYPES = pd.DataFrame(
    {
        "code": ["patrol_team", "camera", "security_movement"],
        "counts_as_model": [True, True, False],
    }
)


def tree() -> gpd.GeoDataFrame:
    rows = [
        ("27", "Tỉnh", 1, None),
        ("264", "Huyện", 2, "27"),
        ("09496", "Thứa", 3, "264"),
        ("09499", "An Thịnh", 3, "264"),
        ("V1", "KP1", 4, "09496"),
        ("V2", "KP2", 4, "09496"),
        ("V3", "KP3", 4, "09496"),
        ("V4", "Thôn A", 4, "09499"),
    ]
    frame = pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"])
    return gpd.GeoDataFrame(frame, geometry=[box(0, 0, 1, 1)] * len(rows), crs="EPSG:4326")


def models(*rows: dict[str, object]) -> pd.DataFrame:
    base = {c: None for c in MODEL_COLUMNS} | {"status": "active"}
    return pd.DataFrame([base | r for r in rows], columns=MODEL_COLUMNS)


def teams(*rows: dict[str, object]) -> pd.DataFrame:
    base = {c: None for c in TEAM_COLUMNS}
    return pd.DataFrame([base | r for r in rows], columns=TEAM_COLUMNS)


PATROL = {
    "model_id": "P",
    "type_code": "patrol_team",
    "unit_code": "09496",
    "launch_date": "2022-06-16",
}
CAMERA = {"model_id": "C", "type_code": "camera", "unit_code": "09496"}
MOVEMENT = {"model_id": "M", "type_code": "security_movement", "unit_code": "09499"}
PATROL_TEAMS = [
    {"team_id": "P/1", "model_id": "P", "unit_code": "V1", "members": 7},
    {"team_id": "P/2", "model_id": "P", "unit_code": "V1", "members": 5},
    {"team_id": "P/3", "model_id": "P", "unit_code": "V2", "members": 6},
]


def run(
    policy: CoveragePolicy | None = None,
    on: date = date(2024, 1, 1),
    *extra: dict[str, object],
    model_rows: tuple[dict[str, object], ...] = (PATROL,),
) -> object:
    return compute_coverage(
        tree(),
        TYPES,
        models(*model_rows),
        teams(*PATROL_TEAMS, *extra),
        policy or CoveragePolicy(),
        on,
    )


def test_village_counts_teams_members_and_types() -> None:
    result = run()
    villages = result.villages.set_index("code")
    assert villages.loc["V1", "covered"]
    assert villages.loc["V1", "team_count"] == 2
    assert villages.loc["V1", "members"] == 12
    assert villages.loc["V1", "model_types"] == ["patrol_team"]
    assert not villages.loc["V3", "covered"]
    assert villages.loc["V3", "status"] == "uncovered"
    assert villages.loc["V3", "model_types"] == []


def test_rollups_per_commune_district_province() -> None:
    rollups = run().rollups.set_index("code")
    assert (rollups.loc["09496", "villages_covered"], rollups.loc["09496", "villages_total"]) == (
        2,
        3,
    )
    assert rollups.loc["09496", "coverage_pct"] == pytest.approx(66.7)
    assert rollups.loc["264", "villages_total"] == 4
    assert rollups.loc["27", "villages_covered"] == 2
    assert rollups.loc["27", "members"] == 18
    assert rollups.loc["27", "teams"] == 3
    assert rollups.loc["09499", "villages_covered"] == 0


def test_model_not_yet_launched_does_not_count() -> None:
    result = run(None, date(2022, 6, 15))
    assert not result.villages["covered"].any()


def test_inactive_status_does_not_count_unless_policy_says_so() -> None:
    dissolved = PATROL | {"status": "dissolved"}
    assert not run(model_rows=(dissolved,)).villages["covered"].any()
    lenient = CoveragePolicy(active_statuses=["active", "dissolved"])
    assert run(lenient, model_rows=(dissolved,)).villages["covered"].sum() == 2


def test_required_types_policy() -> None:
    camera_team = {"team_id": "C/1", "model_id": "C", "unit_code": "V3", "cameras": 4}
    policy = CoveragePolicy(required_types=["patrol_team"])
    result = run(policy, date(2024, 1, 1), camera_team, model_rows=(PATROL, CAMERA))
    villages = result.villages.set_index("code")
    assert not villages.loc["V3", "covered"]  # a camera model alone does not satisfy the rule
    assert villages.loc["V3", "missing_types"] == ["patrol_team"]
    assert villages.loc["V3", "cameras"] == 4
    assert villages.loc["V1", "covered"]


def test_min_active_models_policy() -> None:
    camera_team = {"team_id": "C/1", "model_id": "C", "unit_code": "V1"}
    result = run(
        CoveragePolicy(min_active_models=2),
        date(2024, 1, 1),
        camera_team,
        model_rows=(PATROL, CAMERA),
    )
    assert result.villages.set_index("code")["covered"].to_dict() == {
        "V1": True,
        "V2": False,
        "V3": False,
        "V4": False,
    }


def test_movement_record_is_not_a_model_and_commune_sites_count_upwards() -> None:
    result = run(model_rows=(PATROL, MOVEMENT, CAMERA))
    rollups = result.rollups.set_index("code")
    assert rollups.loc["09499", "models"] == 0  # the movement itself is not a model
    assert rollups.loc["09496", "models"] == 2  # patrol at villages + camera commune-wide
    assert not result.villages.set_index("code").loc["V4", "covered"]


def test_sites_in_unknown_units_are_reported_not_dropped() -> None:
    stray = {"team_id": "P/9", "model_id": "P", "unit_code": "GONE"}
    result = run(None, date(2024, 1, 1), stray)
    assert result.unplaced_sites["unit_code"].tolist() == ["GONE"]
