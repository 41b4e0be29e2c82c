"""Codes across the 2025 reform: carrying villages forward and resolving old codes."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from geo_service.hierarchy import UnitTree, carry_villages_forward, resolve_codes

LINEAGE = pd.DataFrame(
    {
        "old_code": ["07057", "15772", "15772", "15772"],
        "new_code": ["07054", "15772", "15796", "15835"],
        "kind": ["full", "partial", "partial", "partial"],
        "effective": ["2025-07-01"] * 4,
    }
)


def units() -> gpd.GeoDataFrame:
    rows = [
        # code, name, level, parent, valid_from, valid_to, geometry, label point
        ("07057", "Xã Bằng Cả", 3, "204", None, "2025-07-01", box(0, 0, 1, 1), (0.5, 0.5)),
        ("07054", "Xã Quảng La", 3, "22", "2025-07-01", None, box(0, 0, 2, 2), (1, 1)),
        ("15772", "TT Thiệu Hóa", 3, "398", None, "2025-07-01", box(10, 0, 13, 1), (11, 0.5)),
        ("15772", "Xã Thiệu Hóa", 3, "38", "2025-07-01", None, box(10, 0, 11, 1), (10.5, 0.5)),
        ("15796", "Xã Thiệu Quang", 3, "38", "2025-07-01", None, box(11, 0, 12, 1), (11.5, 0.5)),
        ("15835", "Xã Thiệu Trung", 3, "38", "2025-07-01", None, box(12, 0, 13, 1), (12.5, 0.5)),
        ("07057-001", "Thôn 1", 4, "07057", None, None, box(0, 0, 0.5, 0.5), (0.2, 0.2)),
        ("15772-001", "Tiểu khu 1", 4, "15772", None, None, box(11.1, 0, 11.4, 1), (11.2, 0.5)),
        ("15772-002", "Tiểu khu 2", 4, "15772", None, None, box(12.1, 0, 12.4, 1), (12.2, 0.5)),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "code",
            "name",
            "level",
            "parent_code",
            "valid_from",
            "valid_to",
            "geometry",
            "label",
        ],
    )
    labels = frame.pop("label")
    frame["label_lon"] = [point[0] for point in labels]
    frame["label_lat"] = [point[1] for point in labels]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def test_villages_follow_merged_and_split_communes() -> None:
    carried = carry_villages_forward(units(), LINEAGE)
    parents = dict(zip(carried.new_rows["code"], carried.new_rows["parent_code"], strict=True))
    assert parents == {"07057-001": "07054", "15772-001": "15796", "15772-002": "15835"}
    assert set(carried.new_rows["valid_from"]) == {"2025-07-01"}
    assert sorted(c[0] for c in carried.closures) == ["07057-001", "15772-001", "15772-002"]
    assert carried.unresolved == []


def test_carry_forward_is_idempotent() -> None:
    frame = units()
    first = carry_villages_forward(frame, LINEAGE)
    frame.loc[frame["level"] == 4, "valid_to"] = "2025-07-01"  # the closures, applied
    carried = pd.concat([frame, first.new_rows], ignore_index=True)
    again = carry_villages_forward(gpd.GeoDataFrame(carried, geometry="geometry"), LINEAGE)
    assert again.new_rows.empty and again.closures == []


def test_village_that_ended_with_its_commune_is_still_carried() -> None:
    frame = units()
    frame.loc[frame["level"] == 4, "valid_to"] = "2025-07-01"
    carried = carry_villages_forward(frame, LINEAGE)
    assert len(carried.new_rows) == 3
    assert carried.closures == []


def test_resolve_codes_follows_lineage_and_prefers_kept_code() -> None:
    valid = {"07054", "15772", "15796", "15835"}
    resolved = resolve_codes(pd.Series(["07057", "15772", "99999", "07054"]), valid, LINEAGE)
    assert resolved.tolist() == ["07054", "15772", None, "07054"]


def test_subtree_and_ancestors() -> None:
    tree = UnitTree(
        pd.DataFrame({"code": ["1", "2", "3", "4"], "parent_code": [None, "1", "2", "1"]})
    )
    assert tree.subtree("2") == {"2", "3"}
    assert tree.subtree("1") == {"1", "2", "3", "4"}
    assert tree.subtree("9") == set()
    assert tree.ancestor_codes("3") == ["2", "1"]
    assert tree.ancestor_codes("1") == []


def test_nothing_to_carry_when_no_commune_has_ended() -> None:
    frame = units()
    frame = frame[frame["valid_to"].isna() | (frame["level"] == 4)].reset_index(drop=True)
    carried = carry_villages_forward(frame, LINEAGE)
    assert carried.new_rows.empty and carried.closures == [] and carried.unresolved == []
    assert list(carried.new_rows.columns) == list(frame.columns)


def test_without_lineage_the_villages_are_reported_unresolved() -> None:
    carried = carry_villages_forward(units(), LINEAGE.iloc[0:0])
    assert carried.new_rows.empty
    assert carried.unresolved == ["07057-001", "15772-001", "15772-002"]


def test_village_follows_the_unit_its_code_named_when_it_started() -> None:
    frame = units()
    late = frame.iloc[[6]].assign(  # a village created under the merged Xã Thiệu Hóa
        code="15772-009", parent_code="15772", valid_from="2025-09-01"
    )
    early = frame.iloc[[6]].assign(code="15772-008", parent_code="15772", valid_to="2024-01-01")
    frame = gpd.GeoDataFrame(pd.concat([frame, late, early], ignore_index=True), crs=frame.crs)
    carried = carry_villages_forward(frame, LINEAGE)
    # the late one already hangs under the new unit; the early one ended before the reform
    assert set(carried.new_rows["code"]) == {"07057-001", "15772-001", "15772-002"}


def test_split_falls_back_to_the_largest_overlap_then_to_unresolved() -> None:
    frame = units()
    villages = frame["level"] == 4
    frame.loc[villages, "label_lon"] = float("nan")  # no usable label point
    frame.loc[frame["code"] == "15772-002", "geometry"] = box(20, 20, 21, 21)  # overlaps nothing
    carried = carry_villages_forward(frame, LINEAGE)
    parents = dict(zip(carried.new_rows["code"], carried.new_rows["parent_code"], strict=True))
    assert parents == {"07057-001": "07054", "15772-001": "15796"}
    assert carried.unresolved == ["15772-002"]


def test_dates_may_come_as_date_objects() -> None:
    frame = units()
    ends = [v if isinstance(v, str) else None for v in frame["valid_to"]]
    frame["valid_to"] = pd.Series([v and date.fromisoformat(v) for v in ends], dtype=object)
    carried = carry_villages_forward(frame, LINEAGE)
    assert set(carried.new_rows["valid_from"]) == {"2025-07-01"}
    assert sorted(c[0] for c in carried.closures) == ["07057-001", "15772-001", "15772-002"]


def test_an_open_village_already_carried_is_closed_without_a_second_row() -> None:
    frame = units()
    first = carry_villages_forward(frame, LINEAGE)
    # the carried rows are stored, but the old rows are open again (a re-imported old list)
    again = carry_villages_forward(
        gpd.GeoDataFrame(pd.concat([frame, first.new_rows], ignore_index=True)), LINEAGE
    )
    assert again.new_rows.empty
    assert again.closures == first.closures
