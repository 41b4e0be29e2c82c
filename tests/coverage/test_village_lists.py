"""How complete a commune's village list is, across a reform (issue 10, item 8).

A commune formed from three communes of which one had its villages listed knows its
villages for 1 of 3 sources; a commune without any village is no data, not 0 of 0.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from geo_service.coverage.compute import compute_coverage
from geo_service.coverage.village_lists import areas_without_villages, village_list_sources
from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS
from geo_service.settings import CoveragePolicy

BEFORE, AFTER = date(2025, 6, 30), date(2026, 1, 1)
REFORM = "2025-07-01"
# A, B and C merge into N (which keeps no old code); P stays as it was; S is split.
LINEAGE = pd.DataFrame(
    {
        "old_code": ["A", "B", "C", "S", "S"],
        "new_code": ["N", "N", "N", "N", "T"],
        "kind": ["full", "full", "full", "partial", "partial"],
        "effective": [REFORM] * 5,
    }
)


def history() -> gpd.GeoDataFrame:
    rows = [
        # code, name, type, level, parent, valid_from, valid_to, geometry
        ("1", "Tỉnh Một", "tinh", 1, None, None, None, box(0, 0, 10, 10)),
        ("A", "Xã A", "xa", 3, "1", None, REFORM, box(0, 0, 1, 1)),
        ("B", "Xã B", "xa", 3, "1", None, REFORM, box(1, 0, 2, 1)),
        ("C", "Xã C", "xa", 3, "1", None, REFORM, box(2, 0, 3, 1)),
        ("S", "Xã S", "xa", 3, "1", None, REFORM, box(3, 0, 5, 1)),
        ("P", "Xã P", "xa", 3, "1", None, None, box(6, 0, 7, 1)),
        ("N", "Xã Mới", "xa", 3, "1", REFORM, None, box(0, 0, 4, 1)),
        ("T", "Xã Tây", "xa", 3, "1", REFORM, None, box(4, 0, 5, 1)),
        ("A-1", "Thôn 1", "thon", 4, "A", None, REFORM, box(0, 0, 0.5, 1)),
        ("A-1", "Thôn 1", "thon", 4, "N", REFORM, None, box(0, 0, 0.5, 1)),
        ("A-2", "Thôn 2", "thon", 4, "A", None, REFORM, box(0.5, 0, 1, 1)),
        ("A-2", "Thôn 2", "thon", 4, "N", REFORM, None, box(0.5, 0, 1, 1)),
    ]
    columns = ["code", "name", "unit_type", "level", "parent_code", "valid_from", "valid_to"]
    frame = pd.DataFrame([row[:-1] for row in rows], columns=columns)
    return gpd.GeoDataFrame(frame, geometry=[row[-1] for row in rows], crs="EPSG:4326")


def sources_on(day: date, units: pd.DataFrame | None = None) -> pd.DataFrame:
    return village_list_sources(history() if units is None else units, LINEAGE, day)


def known(sources: pd.DataFrame, commune: str) -> dict[str, bool]:
    rows = sources[sources["commune_code"] == commune]
    return dict(zip(rows["source_code"], rows["villages_known"], strict=True))


def test_a_merged_commune_knows_the_villages_of_its_listed_predecessors_only() -> None:
    sources = sources_on(AFTER)
    assert known(sources, "N") == {"A": True, "B": False, "C": False, "S": False}
    assert known(sources, "T") == {"S": False}  # the other part of the split commune
    assert known(sources, "P") == {"P": False}  # never reformed: its own source
    names = sources.set_index(["commune_code", "source_code"])["source_name"]
    assert names[("N", "B")] == "Xã B"


def test_before_the_reform_each_commune_is_its_own_source() -> None:
    sources = sources_on(BEFORE)
    assert set(sources["commune_code"]) == {"A", "B", "C", "S", "P"}
    assert (sources["commune_code"] == sources["source_code"]).all()
    assert known(sources, "A") == {"A": True} and known(sources, "B") == {"B": False}


def test_a_reused_code_is_told_apart_by_its_dates() -> None:
    # N keeps B's code: B's old row had no village; a village under the new B does not
    # make the old B listed.
    frame = history()
    frame.loc[frame["code"] == "N", "code"] = "B"
    frame.loc[frame["parent_code"] == "N", "parent_code"] = "B"
    lineage = LINEAGE.replace({"N": "B"})
    sources = village_list_sources(frame, lineage, AFTER)
    assert known(sources, "B") == {"A": True, "B": False, "C": False, "S": False}


def test_a_list_made_for_the_new_commune_covers_all_of_it() -> None:
    frame = history()
    own = frame[frame["code"] == "A-1"].iloc[[1]].assign(code="T-1", parent_code="T")
    frame = gpd.GeoDataFrame(pd.concat([frame, own], ignore_index=True), crs=frame.crs)
    sources = village_list_sources(frame, LINEAGE, AFTER)
    assert known(sources, "T") == {"S": True}  # T-1 was not carried: T's own list


def rollups_on(day: date) -> pd.DataFrame:
    units = history()
    tree = units[
        (units["valid_from"].isna() | (units["valid_from"] <= day.isoformat()))
        & (units["valid_to"].isna() | (units["valid_to"] > day.isoformat()))
    ].reset_index(drop=True)
    result = compute_coverage(
        gpd.GeoDataFrame(tree, geometry="geometry", crs="EPSG:4326"),
        pd.DataFrame({"code": ["patrol_team"], "counts_as_model": [True]}),
        pd.DataFrame(columns=MODEL_COLUMNS),
        pd.DataFrame(columns=TEAM_COLUMNS),
        CoveragePolicy(),
        day,
        sources_on(day),
    )
    return result.rollups.set_index("code")


def test_rollups_say_how_complete_their_village_list_is() -> None:
    rollups = rollups_on(AFTER)
    merged = rollups.loc["N"]
    assert merged["data_status"] == "partial"
    assert (merged["source_communes_with_villages"], merged["source_communes_total"]) == (1, 4)
    assert (merged["villages_covered"], merged["villages_total"]) == (0, 2)
    province = rollups.loc["1"]
    # S feeds both N and T: counted once. P, N, T are the communes; only N has villages.
    assert (province["source_communes_with_villages"], province["source_communes_total"]) == (
        1,
        5,
    )
    assert (province["communes_with_villages"], province["communes_total"]) == (1, 3)
    assert province["data_status"] == "partial"


def test_a_commune_without_villages_is_no_data_not_0_of_0() -> None:
    for day, code in ((AFTER, "T"), (AFTER, "P"), (BEFORE, "B")):
        row = rollups_on(day).loc[code]
        assert row["data_status"] == "no_data"
        assert pd.isna(row["villages_total"]) and pd.isna(row["villages_covered"])
        assert pd.isna(row["villages_uncovered"]) and pd.isna(row["coverage_pct"])
    complete = rollups_on(BEFORE).loc["A"]
    assert complete["data_status"] == "complete" and complete["villages_total"] == 2


def test_without_sources_each_commune_is_its_own() -> None:
    units = history()
    tree = units[units["valid_to"].isna()].reset_index(drop=True)
    result = compute_coverage(
        gpd.GeoDataFrame(tree, geometry="geometry", crs="EPSG:4326"),
        pd.DataFrame({"code": ["patrol_team"], "counts_as_model": [True]}),
        pd.DataFrame(columns=MODEL_COLUMNS),
        pd.DataFrame(columns=TEAM_COLUMNS),
        CoveragePolicy(),
        AFTER,
    )
    statuses = result.rollups.set_index("code")["data_status"].to_dict()
    assert statuses == {"1": "partial", "N": "complete", "P": "no_data", "T": "no_data"}


def test_areas_without_villages_grey_the_unlisted_parts_only() -> None:
    rollups = rollups_on(AFTER).reset_index()
    communes = gpd.GeoDataFrame(
        rollups[rollups["level"] == 3], geometry="geometry", crs="EPSG:4326"
    )
    units = history()
    old = units[(units["level"] == 3) & units["valid_to"].notna()]
    areas = areas_without_villages(communes, sources_on(AFTER), old)
    pieces = {
        (a, b): g.area for a, b, g in areas[["commune_code", "source_code", "geometry"]].values
    }
    # N: B, C and the part of S inside N (S spans 3..5, N ends at 4); never A's area.
    assert pieces == {
        ("N", "B"): 1.0,
        ("N", "C"): 1.0,
        ("N", "S"): 1.0,
        ("T", "T"): 1.0,
        ("P", "P"): 1.0,
    }
    named = areas.set_index(["commune_code", "source_code"])
    assert named.loc[("N", "B"), "valid_to"] == REFORM and named.loc[("N", "B"), "name"] == "Xã B"
    assert named.loc[("P", "P"), "valid_to"] is None
