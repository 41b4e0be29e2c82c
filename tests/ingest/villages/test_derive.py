"""Approximate village areas on the real bundled communes, and the bundle they stand on."""

from __future__ import annotations

import csv
import itertools
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo_service.domain import METRIC_CRS, UNIT_COLUMNS, WGS84
from geo_service.ingest.villages.derive import derive_village_areas, read_village_points
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
BOUNDARIES = ROOT / "data" / "boundaries"
REGISTER = ROOT / "data" / "registers" / "demo_models.csv"
HEADER = "commune_code,name,unit_type,lon,lat,households,population"
SEED_COMMUNES = {"09496", "07057", "09595", "15772", "19357"}


@pytest.fixture(scope="module")
def communes() -> gpd.GeoDataFrame:
    units = gpd.read_file(BOUNDARIES / "units_pre2025.geojson")
    return units[units["level"] == 3]


@pytest.fixture(scope="module")
def points() -> gpd.GeoDataFrame:
    frame, report = read_village_points(BOUNDARIES / "village_points.csv")
    assert report.problems == []
    return frame


@pytest.fixture(scope="module")
def areas(points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame, report = derive_village_areas(points, communes, file_name="village_points.csv")
    assert report.problems == []
    return frame


def write_points(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "villages.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def derive_from(path: Path, communes: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read then derive, as an import does; returns the areas and every problem as text."""
    points, report = read_village_points(path)
    found, area_report = derive_village_areas(points, communes, file_name=path.name)
    report.extend(area_report)
    return found, [str(p) for p in report.problems]


# --------------------------------------------------------------------------- partitions


def test_bundled_points_cover_the_five_seed_communes(points: gpd.GeoDataFrame) -> None:
    counts = points.groupby("commune_code").size().to_dict()
    assert counts == {"07057": 4, "09496": 8, "09595": 9, "15772": 14, "19357": 6}
    assert points["row"].tolist() == list(range(2, 43))
    assert all(unicodedata.is_normalized("NFC", n) for n in points["name"])


def test_areas_cover_each_commune(areas: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> None:
    metric = areas.to_crs(METRIC_CRS)
    commune_area = communes.to_crs(METRIC_CRS).set_index("code").area
    for code, cells in metric.groupby("parent_code"):
        assert cells.area.sum() == pytest.approx(commune_area[code], rel=0.005), code


def test_areas_do_not_overlap(areas: gpd.GeoDataFrame) -> None:
    metric = areas.to_crs(METRIC_CRS)
    for _, cells in metric.groupby("parent_code"):
        for a, b in itertools.combinations(cells.geometry, 2):
            assert a.intersection(b).area < 1.0  # m²: shared edges only


def test_each_point_lies_in_its_own_cell(areas: gpd.GeoDataFrame) -> None:
    labels = gpd.points_from_xy(areas["label_lon"], areas["label_lat"], crs=WGS84)
    assert shapely.within(labels, areas.geometry.values).all()
    assert areas.is_valid.all()


def test_areas_are_level_4_units_numbered_by_name(areas: gpd.GeoDataFrame) -> None:
    assert list(areas.columns) == [*UNIT_COLUMNS, "geometry"]
    assert str(areas.crs) == WGS84
    assert set(areas["level"]) == {4}
    assert set(areas["geometry_quality"]) == {"approximate"}
    assert set(areas["source"]) == {"derived from village points (Voronoi)"}
    thieu_hoa = areas[areas["parent_code"] == "15772"].set_index("name")["code"]
    assert thieu_hoa["Tiểu khu 2"] == "15772-002"
    assert thieu_hoa["Tiểu khu 10"] == "15772-010"  # numeric, not text, order
    vien_son = areas[areas["parent_code"] == "09595"]
    assert set(vien_son["unit_type"]) == {"to_dan_pho"}
    assert vien_son["households"].notna().all()


def test_one_village_gets_the_whole_commune(tmp_path: Path, communes: gpd.GeoDataFrame) -> None:
    path = write_points(tmp_path, "07057,Thôn 1,thon,106.852093,21.100746,150,540")
    found, problems = derive_from(path, communes)
    assert problems == []
    commune = communes.loc[communes["code"] == "07057"].to_crs(METRIC_CRS).area.iloc[0]
    assert found.to_crs(METRIC_CRS).area.iloc[0] == pytest.approx(commune, rel=1e-6)


def test_thieu_hoa_villages_reach_all_three_successors(points: gpd.GeoDataFrame) -> None:
    units_2025 = gpd.read_file(BOUNDARIES / "units_2025.geojson")
    thieu_hoa = points[points["commune_code"] == "15772"]
    joined = gpd.sjoin(thieu_hoa, units_2025[units_2025["level"] == 3], predicate="within")
    assert len(joined) == 14
    assert set(joined["code"]) == {"15772", "15796", "15835"}


# --------------------------------------------------------------------------- errors


def test_unknown_commune_code_is_an_error(tmp_path: Path, communes: gpd.GeoDataFrame) -> None:
    path = write_points(
        tmp_path, "09496,Khu phố 1,khu_pho,106.221741,21.028263,,", "99999,Thôn 9,thon,106.2,21.0,,"
    )
    found, problems = derive_from(path, communes)
    assert problems == [
        "error: villages.csv, row 3, field 'commune_code': unknown commune code '99999'"
    ]
    assert found["name"].tolist() == ["Khu phố 1"]


def test_point_far_outside_its_commune_is_an_error(
    tmp_path: Path, communes: gpd.GeoDataFrame
) -> None:
    path = write_points(tmp_path, "09496,Khu phố 1,khu_pho,106.30,21.03,,")
    _, problems = derive_from(path, communes)
    assert len(problems) == 1
    assert problems[0].startswith("error: villages.csv, row 2, field 'lon/lat': point lies")
    assert "outside commune 09496" in problems[0]


def test_point_just_outside_is_a_warning(tmp_path: Path, communes: gpd.GeoDataFrame) -> None:
    commune = communes.loc[communes["code"] == "09496"].to_crs(METRIC_CRS).geometry.iloc[0]
    ring = commune.buffer(20).exterior  # about 20 m outside the commune
    near = gpd.GeoSeries([ring.interpolate(0.3, normalized=True)], crs=METRIC_CRS).to_crs(WGS84)
    path = write_points(
        tmp_path,
        f"09496,Khu phố 1,,{near.x[0]:.7f},{near.y[0]:.7f},,",
        "09496,Khu phố 2,,106.21163,21.029426,,",
    )
    found, problems = derive_from(path, communes)
    assert len(problems) == 1 and problems[0].startswith("warning: villages.csv, row 2")
    assert len(found) == 2 and found.is_valid.all()
    assert set(found["unit_type"]) == {"khu_pho"}  # inferred from the names


def test_duplicate_names_compare_without_accents_or_case(
    tmp_path: Path, communes: gpd.GeoDataFrame
) -> None:
    path = write_points(
        tmp_path,
        "07057,Thôn 1,thon,106.852093,21.100746,,",
        "07057,THON  1,thon,106.847394,21.078373,,",
    )
    _, problems = derive_from(path, communes)
    assert problems == [
        "error: villages.csv, row 3, field 'name': village 'THON 1' repeats row 2 in commune 07057"
    ]


def test_missing_name_and_unknown_type_are_errors(
    tmp_path: Path, communes: gpd.GeoDataFrame
) -> None:
    path = write_points(
        tmp_path,
        "07057,,thon,106.852093,21.100746,,",
        "07057,Thôn 2,hamlet,106.847394,21.078373,,",
        "07057,Thôn 3,Thôn,106.864828,21.06552,,",
    )
    found, problems = derive_from(path, communes)
    assert problems[0] == "error: villages.csv, row 2, field 'name': village name is missing"
    assert problems[1].startswith(
        "error: villages.csv, row 3, field 'unit_type': unknown village type 'hamlet'"
    )
    assert len(problems) == 2
    assert found[["name", "unit_type"]].values.tolist() == [["Thôn 3", "thon"]]


def test_two_villages_at_one_place_is_an_error(tmp_path: Path, communes: gpd.GeoDataFrame) -> None:
    path = write_points(
        tmp_path,
        "07057,Thôn 1,thon,106.852093,21.100746,,",
        "07057,Thôn 2,thon,106.852093,21.100746,,",
    )
    _, problems = derive_from(path, communes)
    assert problems == [
        "error: villages.csv, row 3, field 'lon/lat': point is at the same place as row 2"
    ]


def test_bad_numbers_are_errors_with_row_and_field(tmp_path: Path) -> None:
    path = write_points(
        tmp_path,
        "09496,Khu phố 1,khu_pho,abc,21.02,,",
        "09496,Khu phố 2,khu_pho,106.2,95,,",
        "09496,Khu phố 3,khu_pho,21.02,106.2,,",
        '09496,Khu phố 4,khu_pho,"106,2115",21.0294,-3,1.5',
        "9496,Khu phố 5,khu_pho,106.2,21.01,200,700",
    )
    points, report = read_village_points(path)
    problems = [(p.severity, p.row, p.field) for p in report.problems]
    assert problems == [
        ("error", 2, "lon"),
        ("error", 3, "lon/lat"),
        ("error", 4, "lon/lat"),
        ("error", 5, "households"),
        ("error", 5, "population"),
        ("warning", 6, "commune_code"),
    ]
    assert points["name"].tolist() == ["Khu phố 4", "Khu phố 5"]
    assert points["lon"].tolist()[0] == pytest.approx(106.2115)  # decimal comma read
    assert points["commune_code"].tolist()[1] == "09496"
    assert points["households"].tolist()[1] == 200


def test_missing_column_is_reported_and_a_legacy_encoding_is_read_with_a_warning(
    tmp_path: Path,
) -> None:
    path = write_points(tmp_path, "09496,Khu phố 1,106.2", header="commune_code,name,lon")
    _, report = read_village_points(path, file_name="thon.csv")
    assert [str(p) for p in report.problems] == [
        "error: thon.csv, row 1, field 'lat': missing column 'lat' "
        "(a latitude column named one of: lat, latitude, y, vi_do)"
    ]
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(f"{HEADER}\n07057,Thôn Đông,thon,106.85,21.1,,\n".encode("cp1258"))
    points, report = read_village_points(legacy)
    assert report.ok and [p.code for p in report.warnings] == ["encoding"]
    assert "cp1258" in report.warnings[0].message
    assert points["name"].tolist() == ["Thôn Đông"]


# --------------------------------------------------------------------------- the bundle


def test_bundle_units_use_the_canonical_schema() -> None:
    for name, count in (("units_pre2025.geojson", 85), ("units_2025.geojson", 26)):
        units = gpd.read_file(BOUNDARIES / name)
        assert list(units.columns) == [*UNIT_COLUMNS, "geometry"], name
        assert len(units) == count and units["code"].is_unique and units.is_valid.all()
        assert all(unicodedata.is_normalized("NFC", n) for n in units["name"])
    pre = gpd.read_file(BOUNDARIES / "units_pre2025.geojson").set_index("code")
    assert pre.loc["15772", "name"] == "Thị trấn Thiệu Hóa"
    assert pre.loc["09613", "name"] == "Phường Sơn Đông"
    assert pre.loc["264", "name"] == "Huyện Lương Tài" and pre.loc["01", "level"] == 1


def test_bundle_lineage_has_the_seed_facts() -> None:
    lineage = pd.read_csv(BOUNDARIES / "lineage_2025.csv", dtype=str)
    pairs = set(zip(lineage["old_code"], lineage["new_code"], lineage["kind"], strict=True))
    assert {
        ("09496", "09496", "full"),
        ("19357", "19360", "full"),
        ("07057", "07054", "full"),
        ("09595", "09574", "full"),
        ("15772", "15772", "partial"),
        ("15772", "15796", "partial"),
        ("15772", "15835", "partial"),
        ("27", "24", "full"),
        ("45", "44", "full"),
    } <= pairs
    assert set(lineage["effective"]) == {"2025-07-01"}
    assert lineage.loc[lineage["old_code"].str.len() == 5, "old_code"].nunique() == 75


def test_demo_register_names_bundled_villages_and_seed_figures() -> None:
    with REGISTER.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    villages = pd.read_csv(BOUNDARIES / "village_points.csv", dtype=str)
    known = set(zip(villages["commune_code"], villages["name"], strict=True))
    assert {(r["Mã xã"], r["Thôn/TDP"]) for r in rows if r["Thôn/TDP"]} <= known
    assert {r["Mã xã"] for r in rows} == SEED_COMMUNES

    def teams(model_type: str, commune: str) -> list[dict[str, str]]:
        return [r for r in rows if r["Loại mô hình"] == model_type and r["Mã xã"] == commune]

    patrol = teams("patrol_team", "09496")
    assert len({r["Thôn/TDP"] for r in patrol}) == 8
    assert sum(int(r["Số thành viên"]) for r in patrol) == 52
    assert sum(int(r["Số thành viên"]) for r in teams("self_managed_group", "07057")) == 23
    assert len(teams("street_protection_team", "15772")) == 14
    assert len(teams("social_security_team", "15772")) == 74
    phuong_1 = {
        r["Mã mô hình"]
        for r in rows
        if r["Mã xã"] == "19357" and r["Loại mô hình"] != "security_movement"
    }
    assert len(phuong_1) == 10
    assert not [r for r in rows if r["Thôn/TDP"] == "Khu phố 6" and r["Mã xã"] == "19357"]


def test_frames_from_other_readers_are_checked_too(communes: gpd.GeoDataFrame) -> None:
    """Points without a ``row`` column are numbered by feature; a shapeless commune is named."""
    no_shape = communes.copy()
    no_shape.loc[no_shape["code"] == "07057", "geometry"] = None
    points = gpd.GeoDataFrame(
        {"commune_code": ["07057", "09496"], "name": ["Thôn 1", "Khu phố 1"]},
        geometry=gpd.points_from_xy([106.852093, 106.221741], [21.100746, 21.028263]),
        crs=WGS84,
    )
    found, report = derive_village_areas(points, no_shape, file_name="layer.gpkg")
    assert [str(p) for p in report.problems] == [
        "error: layer.gpkg, row 1, field 'commune_code': commune 07057 has no boundary to divide"
    ]
    assert found["code"].tolist() == ["09496-001"]


def test_a_file_without_usable_rows_gives_no_areas(
    tmp_path: Path, communes: gpd.GeoDataFrame
) -> None:
    path = write_points(tmp_path, "09496,Khu phố 1,khu_pho,,21.02,,")
    found, problems = derive_from(path, communes)
    assert problems == ["error: villages.csv, row 2, field 'lon': value is missing"]
    assert found.empty and list(found.columns) == [*UNIT_COLUMNS, "geometry"]
