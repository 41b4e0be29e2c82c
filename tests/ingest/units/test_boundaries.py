"""Boundary files written to tmp_path with pyogrio/zipfile, read back through the real code."""

from __future__ import annotations

import json
import unicodedata
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyproj
import pytest
import shapely
from pyproj import Transformer
from pyproj.transformer import TransformerGroup

from geo_service.domain import UNIT_COLUMNS
from geo_service.ingest.report import Problem, ValidationReport
from geo_service.ingest.units.boundaries import normalise_units, read_boundaries

GEOD = pyproj.Geod(ellps="WGS84")
NAMES = ["Thị trấn Thứa", "Xã Bằng Cả", "Phường Viên Sơn"]


def squares(lon: float = 106.20, lat: float = 21.02, n: int = 3) -> list[shapely.Polygon]:
    return [shapely.box(lon + i * 0.02, lat, lon + i * 0.02 + 0.015, lat + 0.015) for i in range(n)]


def communes(crs: object = "EPSG:4326") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "ma_xa": ["09496", "07057", "09595"],
            "ten_xa": NAMES,
            "ma_huyen": ["264", "193", "269"],
            "dan_so": [8459, 4120, 12000],
        },
        geometry=squares(),
        crs="EPSG:4326",
    )
    return frame.to_crs(crs) if crs != "EPSG:4326" else frame


def write_geojson(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return path


def feature(geometry: object, **properties: object) -> dict[str, object]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def zip_dir(folder: Path, target: Path, *, skip: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() not in skip:
                archive.write(file, f"ranh_gioi/{file.name}")
    return target


def shapefile_zip(
    tmp_path: Path, frame: gpd.GeoDataFrame, *, encoding: str = "UTF-8", skip: tuple[str, ...] = ()
) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "xa.shp", encoding=encoding)
    return zip_dir(folder, tmp_path / "xa.zip", skip=skip)


def only_error(report: ValidationReport) -> Problem:
    assert len(report.errors) == 1, report.summary()
    return report.errors[0]


def reference_6960(source: int, x: float, y: float) -> tuple[float, float]:
    group = TransformerGroup(source, 4326, always_xy=True)
    [chosen] = [t for t in group.transformers if "VN-2000 to WGS 84 (2)" in t.description]
    return chosen.transform(x, y)


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


# -- formats --------------------------------------------------------------------------------


def test_geojson_is_read_as_multipolygons_with_feature_numbers(tmp_path: Path) -> None:
    path = tmp_path / "xa.geojson"
    pyogrio.write_dataframe(communes(), path, driver="GeoJSON")
    frame, report = read_boundaries(path)
    assert report.ok and not report.warnings
    assert frame.crs.to_epsg() == 4326
    assert list(frame.index) == [1, 2, 3] and frame.index.name == "feature"
    assert set(frame.geom_type) == {"MultiPolygon"}
    assert list(frame["ten_xa"]) == NAMES
    assert frame.geometry.iloc[0].equals(shapely.MultiPolygon([squares()[0]]))


def test_text_and_column_names_are_nfc(tmp_path: Path) -> None:
    decomposed = [unicodedata.normalize("NFD", name) for name in NAMES]
    path = write_geojson(
        tmp_path / "nfd.geojson",
        [
            feature(shapely.geometry.mapping(square), **{unicodedata.normalize("NFD", "Tên"): n})
            for square, n in zip(squares(), decomposed, strict=True)
        ],
    )
    frame, report = read_boundaries(path)
    assert report.ok
    assert list(frame.columns[:1]) == ["Tên"]
    assert list(frame["Tên"]) == NAMES


def test_geopackage_picks_the_polygon_layer(tmp_path: Path) -> None:
    path = tmp_path / "ranh_gioi.gpkg"
    points = gpd.GeoDataFrame(
        {"ten": ["nhà văn hoá"]}, geometry=[shapely.Point(106.2, 21.0)], crs=4326
    )
    pyogrio.write_dataframe(points, path, layer="diem")
    pyogrio.write_dataframe(communes(), path, layer="xa")
    frame, report = read_boundaries(path)
    assert report.ok and not report.warnings
    assert list(frame["ma_xa"]) == ["09496", "07057", "09595"]


def test_geopackage_layer_choice_and_unknown_layer(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(communes(), path, layer="xa_2008")
    pyogrio.write_dataframe(communes().iloc[:1], path, layer="xa_2025")
    frame, report = read_boundaries(path)
    assert len(frame) == 3
    assert "several polygon layers" in report.warnings[0].message
    frame, report = read_boundaries(path, layer="xa_2025")
    assert report.ok and len(frame) == 1
    frame, report = read_boundaries(path, layer="thon")
    problem = only_error(report)
    assert problem.field == "layer" and "xa_2008" in problem.message and frame.empty


def test_zipped_shapefile_with_cpg_and_cp1258_text(tmp_path: Path) -> None:
    path = shapefile_zip(tmp_path, communes(), encoding="cp1258")
    with zipfile.ZipFile(path) as archive:
        assert archive.read("ranh_gioi/xa.cpg").strip() == b"CP1258"
        assert "Thứa".encode() not in archive.read("ranh_gioi/xa.dbf")
    frame, report = read_boundaries(path)
    assert report.ok and not report.warnings
    assert list(frame["ten_xa"]) == NAMES  # whole names: GDAL's iconv path drops the last letter
    assert all(unicodedata.is_normalized("NFC", name) for name in frame["ten_xa"])


def test_zipped_shapefile_without_cpg_falls_back_to_cp1258_with_a_warning(
    tmp_path: Path,
) -> None:
    path = shapefile_zip(tmp_path, communes(), encoding="cp1258", skip=(".cpg",))
    frame, report = read_boundaries(path)
    assert report.ok
    assert list(frame["ten_xa"]) == NAMES
    [warning] = report.warnings
    assert warning.file == "xa.zip" and "cp1258" in warning.message


def test_zipped_shapefile_without_cpg_in_utf8_is_not_read_as_latin1(tmp_path: Path) -> None:
    path = shapefile_zip(tmp_path, communes(), encoding="UTF-8", skip=(".cpg",))
    frame, report = read_boundaries(path)
    assert report.ok and not report.warnings
    assert list(frame["ten_xa"]) == NAMES


def test_plain_shapefile(tmp_path: Path) -> None:
    path = tmp_path / "xa.shp"
    pyogrio.write_dataframe(communes(), path)
    frame, report = read_boundaries(path)
    assert report.ok and list(frame["ten_xa"]) == NAMES


def test_vn2000_tm3_shapefile_lands_within_2_m_of_the_epsg_6960_reference(
    tmp_path: Path,
) -> None:
    # Build a VN-2000 / TM-3 105°45' file the way a cadastral office would have it.
    to_tm3 = Transformer.from_crs(4756, 9210, always_xy=True)
    corners = [(106.20, 21.02), (106.23, 21.02), (106.23, 21.05), (106.20, 21.05)]
    projected = [to_tm3.transform(lon, lat) for lon, lat in corners]
    frame = gpd.GeoDataFrame(
        {"ma_xa": ["09496"], "ten_xa": ["Thị trấn Thứa"]},
        geometry=[shapely.Polygon(projected)],
        crs=9210,
    )
    out, report = read_boundaries(shapefile_zip(tmp_path, frame))
    assert report.ok, report.summary()
    vertices = [tuple(v) for v in shapely.get_coordinates(out.geometry.iloc[0])]
    for (x, y), corner in zip(projected, corners, strict=True):
        # Shapefile writers may reorder a ring's vertices, so pair each corner with the nearest.
        landed = min(vertices, key=lambda v: metres_apart(v, reference_6960(9210, x, y)))
        assert metres_apart(landed, reference_6960(9210, x, y)) < 2.0
        assert 100 < metres_apart(landed, corner) < 250  # the datum shift, not a relabel


def test_utm_geopackage_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "utm.gpkg"
    frame = communes().set_crs(4756, allow_override=True).to_crs(3405)
    pyogrio.write_dataframe(frame, path)
    out, report = read_boundaries(path)
    assert report.ok
    source = shapely.get_coordinates(frame.geometry.values)
    result = shapely.get_coordinates(out.geometry.values)
    assert source.shape == result.shape  # GeoPackage keeps the vertex order
    for (x, y), lonlat in zip(source, result, strict=True):
        assert metres_apart(tuple(lonlat), reference_6960(3405, x, y)) < 2.0


# -- CRS problems ---------------------------------------------------------------------------


def test_metre_coordinates_without_prj_are_refused_with_likely_zones(tmp_path: Path) -> None:
    tm3 = communes().set_crs(4756, allow_override=True).to_crs(9210)
    path = shapefile_zip(tmp_path, tm3, skip=(".prj",))
    frame, report = read_boundaries(path)
    problem = only_error(report)
    assert frame.empty
    assert str(problem).startswith("error: xa.zip, field 'geometry'")
    assert "no .prj" in problem.message and "--crs" in problem.message
    assert "EPSG:9210" in problem.message and "EPSG:5897" in problem.message


def test_crs_option_places_a_file_without_prj(tmp_path: Path) -> None:
    tm3 = communes().set_crs(4756, allow_override=True).to_crs(9210)
    frame, report = read_boundaries(shapefile_zip(tmp_path, tm3, skip=(".prj",)), crs="EPSG:9210")
    assert report.ok and not report.warnings
    lon, lat = shapely.get_coordinates(frame.geometry.iloc[0])[0]
    assert metres_apart((lon, lat), (106.20, 21.02)) > 100  # shifted from VN-2000
    assert 106.19 < lon < 106.22 and 21.01 < lat < 21.03


def test_crs_option_overrides_a_wrong_prj_with_a_warning(tmp_path: Path) -> None:
    tm3 = communes().set_crs(4756, allow_override=True).to_crs(9210)
    wrong = tm3.set_crs(3406, allow_override=True)  # .prj says UTM 49N
    path = shapefile_zip(tmp_path, wrong)
    assert "outside Vietnam" in only_error(read_boundaries(path)[1]).message
    frame, report = read_boundaries(path, crs="9210")
    assert report.ok and len(frame) == 3
    assert "UTM zone 49N" in report.warnings[0].message


def test_unknown_crs_option_is_an_error_on_field_crs(tmp_path: Path) -> None:
    path = tmp_path / "xa.geojson"
    pyogrio.write_dataframe(communes(), path, driver="GeoJSON")
    problem = only_error(read_boundaries(path, crs="EPSG:123456")[1])
    assert problem.field == "crs" and problem.file == "xa.geojson"


def test_swapped_coordinates_are_reported(tmp_path: Path) -> None:
    swapped = shapely.transform(shapely.box(106.2, 21.0, 106.3, 21.1), lambda xy: xy[:, ::-1])
    path = write_geojson(
        tmp_path / "swapped.geojson", [feature(shapely.geometry.mapping(swapped), ma="1")]
    )
    problem = only_error(read_boundaries(path)[1])
    assert problem.file == "swapped.geojson" and "lat/lon swapped" in problem.message


# -- unreadable files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        (
            "broken.geojson",
            b'{"type": "FeatureCollection", "features": [{"type": "Feat',
            "cannot read the file",
        ),
        ("empty.geojson", b"", "empty (0 bytes)"),
        ("not_a_zip.zip", b"PK? this is not a zip", "not a zip archive"),
        ("garbage.gpkg", b"SQLite format 2 or not", "cannot read the file as a GeoPackage"),
        ("ranh_gioi.kml", b"<kml/>", "cannot read the file as KML"),
        ("ranh_gioi.kmz", b"<kml/>", "a KMZ is a zip archive"),
        ("ranh_gioi.xlsx", b"PK? no", "not an Excel .xlsx file"),
        ("ranh_gioi.dwg", b"AC1027", "unsupported file type"),
    ],
)
def test_unreadable_files_are_reported_not_raised(
    tmp_path: Path,
    file_name: str,
    content: bytes,
    expected: str,
) -> None:
    path = tmp_path / file_name
    path.write_bytes(content)
    frame, report = read_boundaries(path, display_name=f"upload-{file_name}")
    problem = only_error(report)
    assert expected in problem.message
    assert problem.file == f"upload-{file_name}"
    assert str(tmp_path) not in problem.message  # no server paths leak
    assert frame.empty and frame.crs.to_epsg() == 4326


def test_geojson_without_features_is_an_error(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "none.geojson", [])
    assert "no features" in only_error(read_boundaries(path)[1]).message


def test_zip_without_shapefile(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "ranh giới")
    assert "no .shp" in only_error(read_boundaries(path)[1]).message


@pytest.mark.parametrize("missing", [".dbf", ".shx"])
def test_zip_with_incomplete_shapefile(tmp_path: Path, missing: str) -> None:
    path = shapefile_zip(tmp_path, communes(), skip=(missing,))
    problem = only_error(read_boundaries(path)[1])
    assert f"missing {missing}" in problem.message and "ranh_gioi/xa.shp" in problem.message


def test_zip_with_two_shapefiles_needs_a_layer(tmp_path: Path) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    pyogrio.write_dataframe(communes(), folder / "xa.shp")
    pyogrio.write_dataframe(communes().iloc[:2], folder / "huyen.shp")
    path = zip_dir(folder, tmp_path / "two.zip")
    assert only_error(read_boundaries(path)[1]).field == "layer"
    frame, report = read_boundaries(path, layer="huyen")
    assert report.ok and len(frame) == 2


def test_zip_bomb_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xa.shp", b"\0" * 20_000_000)
        archive.writestr("xa.shx", b"\0" * 100)
        archive.writestr("xa.dbf", b"\0" * 100)
    problem = only_error(read_boundaries(path)[1])
    assert problem.message.startswith("refused") and "ratio 100" in problem.message


# -- geometry problems ----------------------------------------------------------------------


def test_empty_and_null_geometries_are_errors_with_their_rows(tmp_path: Path) -> None:
    good = shapely.geometry.mapping(squares()[0])
    path = write_geojson(
        tmp_path / "holes.geojson",
        [
            feature(good, ma="1"),
            feature(None, ma="2"),
            feature({"type": "Polygon", "coordinates": []}, ma="3"),
        ],
    )
    frame, report = read_boundaries(path)
    assert [(p.row, p.field, p.message) for p in report.errors] == [
        (2, "geometry", "empty geometry"),
        (3, "geometry", "empty geometry"),
    ]
    assert list(frame.index) == [1]


def test_point_geometry_is_rejected_and_mixed_types_reported(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "mixed.geojson",
        [
            feature(shapely.geometry.mapping(squares()[0]), ma="1"),
            feature({"type": "Point", "coordinates": [106.2, 21.0]}, ma="2"),
        ],
    )
    _, report = read_boundaries(path)
    row_error = next(p for p in report.errors if p.row == 2)
    assert row_error.field == "geometry" and "Point" in row_error.message
    assert any("mixes polygons" in p.message and p.row is None for p in report.errors)


def test_self_intersection_is_repaired_with_a_warning_naming_the_row(tmp_path: Path) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[106.2, 21.0], [106.3, 21.1], [106.3, 21.0], [106.2, 21.1], [106.2, 21.0]]
        ],
    }
    path = write_geojson(
        tmp_path / "bowtie.geojson",
        [feature(shapely.geometry.mapping(squares()[0]), ma="1"), feature(bowtie, ma="2")],
    )
    frame, report = read_boundaries(path)
    assert report.ok
    [warning] = report.warnings
    assert (warning.row, warning.field) == (2, "geometry")
    assert "Self-intersection" in warning.message and "repaired" in warning.message
    repaired = frame.loc[2].geometry
    assert repaired.geom_type == "MultiPolygon" and repaired.is_valid
    assert len(repaired.geoms) == 2


def test_unclosed_ring_is_repaired_with_a_warning(tmp_path: Path) -> None:
    ring = [[106.2, 21.0], [106.3, 21.0], [106.3, 21.1], [106.2, 21.1]]
    path = write_geojson(
        tmp_path / "open.geojson", [feature({"type": "Polygon", "coordinates": [ring]}, ma="1")]
    )
    frame, report = read_boundaries(path)
    assert report.ok and report.warnings[0].row == 1
    assert frame.geometry.iloc[0].is_valid
    assert frame.geometry.iloc[0].area == pytest.approx(0.01)


def test_collapsed_polygon_with_nothing_left_is_an_error(tmp_path: Path) -> None:
    flat = {
        "type": "Polygon",
        "coordinates": [[[106.2, 21.0], [106.3, 21.0], [106.25, 21.0], [106.2, 21.0]]],
    }
    path = write_geojson(
        tmp_path / "flat.geojson",
        [feature(shapely.geometry.mapping(squares()[0]), ma="1"), feature(flat, ma="2")],
    )
    frame, report = read_boundaries(path)
    problem = only_error(report)
    assert (problem.row, problem.field) == (2, "geometry")
    assert "no polygon left" in problem.message
    assert list(frame.index) == [1]


# -- normalise_units ------------------------------------------------------------------------


def read_units(path: Path, **options: object) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    raw, report = read_boundaries(path)
    assert report.ok, report.summary()
    return normalise_units(raw, file_name=path.name, **options)  # type: ignore[arg-type]


def geojson_units(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    features = [
        feature(shapely.geometry.mapping(square), **row)
        for square, row in zip(squares(n=len(rows)), rows, strict=True)
    ]
    return write_geojson(tmp_path / "units.geojson", features)


def test_units_from_a_zipped_shapefile_with_detected_fields(tmp_path: Path) -> None:
    units, report = read_units(
        shapefile_zip(tmp_path, communes(), encoding="cp1258"),
        level=3,
        source="Sở TN&MT",
        valid_from=date(2008, 1, 1),
    )
    assert report.ok, report.summary()
    assert list(units.columns) == [*UNIT_COLUMNS, "geometry"]
    assert list(units["code"]) == ["09496", "07057", "09595"]
    assert list(units["name"]) == NAMES
    assert list(units["unit_type"]) == ["thi_tran", "xa", "phuong"]
    assert list(units["level"]) == [3, 3, 3]
    assert list(units["parent_code"]) == ["264", "193", "269"]
    assert list(units["population"]) == [8459, 4120, 12000]
    assert units["households"].isna().all()
    assert list(units["valid_from"]) == [date(2008, 1, 1)] * 3
    assert units["valid_to"].isna().all()
    assert set(units["geometry_quality"]) == {"surveyed"}
    assert set(units["source"]) == {"Sở TN&MT"}
    for unit in units.itertuples():
        assert unit.geometry.contains(shapely.Point(unit.label_lon, unit.label_lat))


def test_accented_headers_and_types_and_levels_from_names(tmp_path: Path) -> None:
    path = geojson_units(
        tmp_path,
        [
            {"Mã đơn vị": "264", "Tên đơn vị": "Huyện Lương Tài", "Mã tỉnh": "27"},
            {"Mã đơn vị": "27", "Tên đơn vị": "Tỉnh Bắc Ninh"},
            {"Mã đơn vị": "09496", "Tên đơn vị": "TT Thứa", "Mã tỉnh": "27"},
        ],
    )
    units, report = read_units(path, level=None)
    assert report.ok, report.summary()
    assert list(units["unit_type"]) == ["huyen", "tinh", "thi_tran"]
    assert list(units["level"]) == [2, 1, 3]
    assert list(units["parent_code"].isna()) == [False, True, False]
    assert units["parent_code"][0] == units["parent_code"][2] == "27"


def test_type_from_a_second_name_column_and_numeric_codes_padded(tmp_path: Path) -> None:
    path = geojson_units(
        tmp_path,
        [
            {"code": 4, "name": "Ba Đình", "fullName": "Phường Ba Đình", "province_code": "01"},
            {"code": 9496, "name": "Lương Tài", "fullName": "Xã Lương Tài", "province_code": "27"},
        ],
    )
    units, report = read_units(path, level=3)
    assert report.ok, report.summary()
    assert list(units["code"]) == ["00004", "09496"]
    assert list(units["name"]) == ["Ba Đình", "Lương Tài"]
    assert list(units["unit_type"]) == ["phuong", "xa"]
    assert list(units["parent_code"]) == ["01", "27"]


def test_explicit_fields_and_a_missing_field(tmp_path: Path) -> None:
    path = geojson_units(tmp_path, [{"ID": "A1", "LABEL": "Thôn Đông", "OWNER": "09496"}])
    units, report = read_units(
        path, level=4, code_field="id", name_field="label", parent_field="owner"
    )
    assert report.ok, report.summary()
    assert (units["code"][0], units["name"][0], units["parent_code"][0]) == (
        "A1",
        "Thôn Đông",
        "09496",
    )
    _, report = read_units(path, level=4, code_field="ma_thon", name_field="label")
    problem = only_error(report)
    assert problem.field == "ma_thon" and "not found" in problem.message


def test_missing_code_and_name_are_errors_with_row_and_field(tmp_path: Path) -> None:
    path = geojson_units(
        tmp_path,
        [
            {"ma_xa": "09496", "ten_xa": "Thị trấn Thứa"},
            {"ma_xa": None, "ten_xa": "Xã Bằng Cả"},
            {"ma_xa": "09595", "ten_xa": "  "},
        ],
    )
    _, report = read_units(path, level=3)
    assert [(p.row, p.field, p.message) for p in report.errors] == [
        (2, "ma_xa", "missing code"),
        (3, "ten_xa", "missing name"),
    ]
    assert all(p.file == "units.geojson" for p in report.errors)


def test_duplicate_codes_are_errors_naming_both_rows(tmp_path: Path) -> None:
    path = geojson_units(
        tmp_path,
        [
            {"ma_xa": "09496", "ten_xa": "Thị trấn Thứa"},
            {"ma_xa": "07057", "ten_xa": "Xã Bằng Cả"},
            {"ma_xa": "09496", "ten_xa": "Xã Trung Kênh"},
        ],
    )
    _, report = read_units(path, level=3)
    problem = only_error(report)
    assert (problem.row, problem.field) == (3, "ma_xa")
    assert "duplicate code '09496'" in problem.message and "row 1" in problem.message


def test_duplicate_village_names_in_one_commune_are_errors(tmp_path: Path) -> None:
    path = geojson_units(
        tmp_path,
        [
            {"ma": "T1", "ten": "Thôn 1", "ma_xa": "09496"},
            {"ma": "T2", "ten": "Thôn 1", "ma_xa": "07057"},  # same name, other commune: fine
            {"ma": "T3", "ten": "Thôn Một", "ma_xa": "09496"},
        ],
    )  # "Một" is 1
    units, report = read_units(path, level=4)
    problem = only_error(report)
    assert "duplicate village names in one commune" in problem.message
    assert "row 1" in problem.message and "row 3" in problem.message
    assert (problem.row, problem.field) == (3, "ten")
    assert list(units["parent_code"]) == ["09496", "07057", "09496"]


def test_unknown_and_mismatched_types_are_errors(tmp_path: Path) -> None:
    path = geojson_units(
        tmp_path,
        [
            {"ma_xa": "00001", "ten_xa": "Lương Tài", "loai": "Khu công nghiệp"},
            {"ma_xa": "00002", "ten_xa": "Lương Tài", "loai": "Huyện"},
            {"ma_xa": "00003", "ten_xa": "Trung Kênh", "loai": "xa"},
        ],
    )
    units, report = read_units(path, level=3)
    assert [(p.row, p.field) for p in report.errors] == [(1, "loai"), (2, "loai")]
    assert "unknown unit type 'Khu công nghiệp'" in report.errors[0].message
    assert "district type" in report.errors[1].message
    assert units["unit_type"][2] == "xa"


def test_name_without_a_type_word_is_an_error(tmp_path: Path) -> None:
    path = geojson_units(tmp_path, [{"ma_xa": "00001", "ten_xa": "Trung tâm huấn luyện Cấm Sơn"}])
    problem = only_error(read_units(path, level=3)[1])
    assert (problem.row, problem.field, problem.code) == (1, "ten_xa", "unknown_type")


def test_city_without_a_level_is_ambiguous(tmp_path: Path) -> None:
    path = geojson_units(tmp_path, [{"ma": "01", "ten": "Thành phố Hà Nội"}])
    assert "province or a district" in only_error(read_units(path, level=None)[1]).message
    units, report = read_units(path, level=1)
    assert report.ok and units["unit_type"][0] == "thanh_pho_tw"


def test_dates_counts_and_level_column(tmp_path: Path) -> None:
    path = geojson_units(
        tmp_path,
        [
            {
                "ma": "T1",
                "ten": "Thôn Đông",
                "ma_xa": "09496",
                "cap": 4,
                "valid_from": "16/06/2022",
                "valid_to": "2025-07-01",
                "so_ho": "1.234",
            },
            {
                "ma": "T2",
                "ten": "Thôn Tây",
                "ma_xa": "09496",
                "cap": 4,
                "valid_from": "hôm qua",
                "so_ho": "-3",
            },
        ],
    )
    units, report = read_units(path, level=None)
    assert list(units["level"]) == [4, 4]
    assert (units["valid_from"][0], units["valid_to"][0]) == (date(2022, 6, 16), date(2025, 7, 1))
    assert units["households"][0] == 1234
    assert {(p.row, p.field) for p in report.errors} == {(2, "valid_from"), (2, "so_ho")}


def test_reprojects_a_raw_frame_that_is_not_wgs84() -> None:
    raw = communes(crs=3405)
    units, report = normalise_units(raw, file_name="utm.gpkg", level=3)
    assert report.ok, report.summary()
    assert units.crs.to_epsg() == 4326
    assert 106.1 < units["label_lon"][0] < 106.3


def test_invalid_level_is_an_error() -> None:
    _, report = normalise_units(communes(), file_name="xa.geojson", level=7)
    assert only_error(report).field == "level"


# -- codes have the published pattern of their level (issue 10, item 14) ----------------------

HYPERLINK = '=HYPERLINK("http://example.invalid/x","x")'


@pytest.mark.parametrize(
    ("level", "good", "bad"),
    [
        (1, ["27", "01"], ["1", "270", "Bắc Ninh", "+27"]),
        (2, ["264", "001"], ["26", "2640", "-264"]),
        (3, ["09496", "00004"], ["9496", "094960", HYPERLINK, "@0949"]),
        (4, ["07057-001", "T1", "ma.thon_2"], [HYPERLINK, "-2+3+cmd", "T 1", "07057/1", "Thôn1"]),
    ],
)
def test_codes_follow_the_published_pattern_of_their_level(
    tmp_path: Path, level: int, good: list[str], bad: list[str]
) -> None:
    parents = {1: None, 2: "27", 3: "264", 4: "07057"}
    rows: list[dict[str, object]] = [
        {"code": code, "name": f"Thôn {i}", "parent_code": parents[level]}
        for i, code in enumerate([*good, *bad], start=1)
    ]
    _, report = read_units(geojson_units(tmp_path, rows), level=level)
    wrong = [p for p in report.errors if p.code == "invalid_code"]
    assert [(p.row, p.field) for p in wrong] == [
        (row, "code") for row in range(len(good) + 1, len(rows) + 1)
    ]
    rule = {1: "2 digits", 2: "3 digits", 3: "5 digits", 4: "letters, digits, '-', '_' or '.'"}
    assert all("is not valid" in p.message and rule[level] in p.message for p in wrong)


def test_a_numeric_code_keeps_its_zeros_and_passes(tmp_path: Path) -> None:
    path = geojson_units(tmp_path, [{"ma_xa": 4, "ten_xa": "Phường Ba Đình", "ma_huyen": "001"}])
    units, report = read_units(path, level=3)
    assert report.ok, report.summary()
    assert units["code"][0] == "00004"


@pytest.mark.parametrize(
    ("level", "parent", "words"),
    [
        (4, "7057", "a commune code is 5 digits"),
        (4, HYPERLINK, "a commune code is 5 digits"),
        (3, "09496", "a district code is 3 digits (GSO), e.g. 264; a province code is 2"),
        (2, "=1+1", "a province code is 2 digits"),
        (1, "VN", "a province has no parent"),
    ],
)
def test_parent_codes_name_a_possible_parent(
    tmp_path: Path, level: int, parent: str, words: str
) -> None:
    names = {1: "Tỉnh Bắc Ninh", 2: "Huyện Lương Tài", 3: "Xã Phú Hòa", 4: "Thôn Đông"}
    codes = {1: "27", 2: "264", 3: "09511", 4: "07057-009"}
    path = geojson_units(
        tmp_path, [{"code": codes[level], "name": names[level], "parent_code": parent}]
    )
    problem = only_error(read_units(path, level=level)[1])
    assert (problem.row, problem.field, problem.code) == (1, "parent_code", "invalid_code")
    assert words in problem.message


def test_a_formula_name_beginning_with_minus_is_refused(tmp_path: Path) -> None:
    path = geojson_units(
        tmp_path, [{"ma_xa": "09511", "ten_xa": "-2+3+cmd|' /C calc'!A0", "loai": "xa"}]
    )
    problem = only_error(read_units(path, level=3)[1])
    assert (problem.row, problem.field, problem.code) == (1, "ten_xa", "formula")


def test_personal_data_in_a_unit_name_is_refused_masked(tmp_path: Path) -> None:
    path = geojson_units(tmp_path, [{"ma_xa": "09511", "ten_xa": "Xã Phú Hòa (0912 345 678)"}])
    problem = only_error(read_units(path, level=3)[1])
    assert (problem.row, problem.field, problem.code) == (1, "ten_xa", "personal_data")
    assert "091* *** *78" in problem.message and "0912 345 678" not in problem.message
