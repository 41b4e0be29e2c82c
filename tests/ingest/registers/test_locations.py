"""Site locations in registers (issue 13, item 6): lon/lat or VN-2000 X/Y columns, each
point placed in its village; every bad point named by file, row and field, the store
unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyproj import CRS, Geod, Transformer

from geo_service.imports.pipeline import import_models
from geo_service.ingest.crs import vn2000_pipeline
from geo_service.ingest.report import ImportRejected
from geo_service.store import Store

HEADER = "Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Tên tổ,Kinh độ,Vĩ độ"
# Villages of Xã Bằng Cả (07057) in the demo, by their village points.
THON_1 = (106.852093, 21.100746)
THON_4 = (106.867675, 21.044683)
# Tổ dân phố 1 Tiền Huân (09595-001), Phường Viên Sơn, Hà Nội.
TIEN_HUAN_1 = (105.50917, 21.154037)


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "cameras.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def errors_of(store: Store, path: Path, crs: str | None = None) -> list[str]:
    before = (store.generation(), store.teams().to_json(), store.models().to_json())
    with pytest.raises(ImportRejected) as caught:
        import_models(store, path, crs=crs)
    assert (store.generation(), store.teams().to_json(), store.models().to_json()) == before
    return [str(problem) for problem in caught.value.report.errors]


def vn2000_tm3(lon: float, lat: float, epsg: int = 9210) -> tuple[float, float]:
    """Easting, northing in a VN-2000 TM-3 zone of a WGS 84 point (through EPSG:6960)."""
    pipeline = Transformer.from_pipeline(vn2000_pipeline(CRS.from_epsg(epsg).to_wkt()))
    easting, northing = pipeline.transform(lon, lat, direction="INVERSE")
    return float(easting), float(northing)


def test_points_are_placed_in_their_villages_and_count_as_cameras(
    demo_store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f"CAM-1,security_camera,07057,,Camera chợ,{THON_1[0]},{THON_1[1]}",
        f"CAM-1,security_camera,07057,Thôn 4,Camera cổng,{THON_4[0]},{THON_4[1]}",
        "CAM-1,security_camera,07057,Thôn 2,Camera không toạ độ,,",
        'CAM-1,security_camera,07057,,,"106,8521","21,1007"',  # decimal commas
    )
    outcome = import_models(demo_store, path)
    assert outcome.counts == {"models": 1, "teams": 4}
    teams = demo_store.teams(model_ids=["CAM-1"]).set_index("team_id")
    assert teams["unit_code"].tolist() == ["07057-001", "07057-004", "07057-002", "07057-001"]
    assert teams.loc["CAM-1/001", ["lon", "lat"]].tolist() == list(THON_1)
    assert teams["lon"].isna().tolist() == [False, False, True, False]
    # A camera site with a point and no camera count is one camera; without a point, none.
    assert teams["cameras"].tolist()[:2] == [1, 1] and teams["cameras"].isna().tolist()[2]
    assert import_models(demo_store, path).import_id is None  # the same file: no change


def test_vn2000_metres_with_crs_go_through_the_datum_shift(
    demo_store: Store, tmp_path: Path
) -> None:
    easting, northing = vn2000_tm3(*TIEN_HUAN_1)
    path = write(
        tmp_path,
        f"CAM-2,security_camera,09595,,Camera 1,{easting:.3f},{northing:.3f}",
        header="Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Tên tổ,X,Y",
    )
    import_models(demo_store, path, crs="EPSG:9210")
    site = demo_store.teams(model_ids=["CAM-2"]).iloc[0]
    assert site["unit_code"] == "09595-001"
    assert abs(site["lon"] - TIEN_HUAN_1[0]) < 1e-6 and abs(site["lat"] - TIEN_HUAN_1[1]) < 1e-6
    # The same zone on the WGS 84 datum (VN-2000 taken as WGS 84) is hundreds of metres off.
    as_wgs84 = CRS.from_proj4("+proj=tmerc +lon_0=105.75 +k=0.9999 +x_0=500000 +datum=WGS84")
    lon, lat = Transformer.from_crs(as_wgs84, 4326, always_xy=True).transform(easting, northing)
    assert Geod(ellps="WGS84").inv(lon, lat, *TIEN_HUAN_1)[2] > 150


def test_survey_order_x_northing_is_read_with_a_warning(demo_store: Store, tmp_path: Path) -> None:
    easting, northing = vn2000_tm3(*TIEN_HUAN_1)
    path = write(
        tmp_path,
        f"CAM-3,security_camera,09595,,Camera 1,{northing:.3f},{easting:.3f}",
        header="Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Tên tổ,Tọa độ X,Tọa độ Y",
    )
    outcome = import_models(demo_store, path, crs="9210")
    assert demo_store.teams(model_ids=["CAM-3"])["unit_code"].tolist() == ["09595-001"]
    assert any("northing first" in str(w) for w in outcome.report.warnings)


def test_swapped_lat_lon_is_refused_with_a_question(demo_store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"CAM-4,security_camera,07057,,Camera 1,{THON_1[0]},{THON_1[1]}",
        f"CAM-4,security_camera,07057,,Camera 2,{THON_4[1]},{THON_4[0]}",
    )
    (error,) = errors_of(demo_store, path)
    assert "cameras.csv, row 3, field 'Kinh độ/Vĩ độ'" in error and "swapped?" in error


def test_degrees_with_a_metric_crs_and_metres_without_one(
    demo_store: Store, tmp_path: Path
) -> None:
    degrees = write(tmp_path, f"CAM-5,security_camera,07057,,Camera,{THON_1[0]},{THON_1[1]}")
    (error,) = errors_of(demo_store, degrees, crs="EPSG:9210")
    assert "row 2, field 'Kinh độ/Vĩ độ'" in error and "degrees" in error and "9210" in error
    easting, northing = vn2000_tm3(*TIEN_HUAN_1)
    metres = write(
        tmp_path,
        f"CAM-5,security_camera,09595,,Camera,{easting:.3f},{northing:.3f}",
        header="Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Tên tổ,X,Y",
    )
    (error,) = errors_of(demo_store, metres)
    assert "row 2, field 'X/Y'" in error and "metres" in error and "--crs" in error
    assert "474793.43, 2340025.466" in error and "likely: EPSG:" in error  # zones that fit


def test_half_filled_and_unreadable_coordinates(demo_store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"CAM-6,security_camera,07057,,Camera 1,{THON_1[0]},",
        "CAM-6,security_camera,07057,,Camera 2,,21.1",
        "CAM-6,security_camera,07057,,Camera 3,106.8x,21.1",
    )
    errors = errors_of(demo_store, path)
    assert len(errors) == 3
    assert "row 2, field 'Vĩ độ'" in errors[0] and "'Kinh độ' is given" in errors[0]
    assert "row 3, field 'Kinh độ'" in errors[1]
    assert "row 4, field 'Kinh độ'" in errors[2] and "not a number" in errors[2]


def test_points_outside_every_village_or_in_another_commune(
    demo_store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "CAM-7,security_camera,07057,,Camera ngoài,106.60,21.30",
        "CAM-7,security_camera,07057,,Camera Thứa,106.221741,21.028263",
    )
    outside, other = errors_of(demo_store, path)
    assert "row 2, field 'Kinh độ/Vĩ độ'" in outside and "no village" in outside
    assert "row 3" in other and "Khu phố 1 (09496-001)" in other and "07057" in other


def test_a_pre_reform_commune_agrees_with_its_carried_forward_village(
    demo_store: Store, tmp_path: Path
) -> None:
    # Xã Bằng Cả (07057) merged into Xã Quảng La (07054); its villages live on under 07054.
    path = write(tmp_path, f"CAM-8,security_camera,07054,,Camera,{THON_1[0]},{THON_1[1]}")
    import_models(demo_store, path)
    assert demo_store.teams(model_ids=["CAM-8"])["unit_code"].tolist() == ["07057-001"]


def test_an_unknown_crs_is_named(demo_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, f"CAM-9,security_camera,07057,,Camera,{THON_1[0]},{THON_1[1]}")
    (error,) = errors_of(demo_store, path, crs="EPSG:99999")
    assert "field '--crs'" in error and "unknown CRS" in error


def test_metres_read_in_a_wrong_zone_land_outside_vietnam(
    demo_store: Store, tmp_path: Path
) -> None:
    easting, northing = vn2000_tm3(*TIEN_HUAN_1)
    path = write(
        tmp_path,
        f"CAM-10,security_camera,09595,,Camera,{easting:.3f},{northing:.3f}",
        header="Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Tên tổ,X,Y",
    )
    (error,) = errors_of(demo_store, path, crs="EPSG:3857")
    assert "row 2, field 'X/Y'" in error and "outside Vietnam" in error
