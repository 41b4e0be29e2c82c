"""KML/KMZ, CSV and XLSX boundaries and village points, and villages known by name only.

Every file is written to tmp_path and read back through the real readers (GDAL for KML,
openpyxl for XLSX); the list-only villages go through the real pipeline into a store.
"""

from __future__ import annotations

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

from geo_service.coverage import reads as coverage_reads
from geo_service.domain import GEOMETRY_APPROXIMATE, GEOMETRY_NONE, UNIT_COLUMNS
from geo_service.imports import pipeline
from geo_service.imports.options import VillageOptions
from geo_service.ingest.report import ImportRejected, Problem, ValidationReport
from geo_service.ingest.units.boundaries import normalise_units, read_boundaries
from geo_service.ingest.villages.derive import derive_village_areas, read_village_points
from geo_service.settings import CoveragePolicy
from geo_service.store import Store, UnitQuery
from geo_service.store.geopackage import GeoPackageStore
from tests.paths import REPO_ROOT
from tests.workbooks import with_saved_result, workbook

ROOT = REPO_ROOT
BOUNDARIES = ROOT / "data" / "boundaries"
GEOD = pyproj.Geod(ellps="WGS84")
# Two squares inside Xã Bằng Cả (07057), lon/lat.
SQUARE_A = shapely.box(106.845, 21.095, 106.850, 21.100)
SQUARE_B = shapely.box(106.851, 21.095, 106.856, 21.100)
AS_OF = date(2024, 1, 1)


def only_error(report: ValidationReport) -> Problem:
    assert len(report.errors) == 1, report.summary()
    return report.errors[0]


def ring(polygon: shapely.Polygon) -> str:
    return " ".join(f"{x},{y},0" for x, y in polygon.exterior.coords)


def placemark(name: str, polygon: shapely.Polygon, description: str = "", data: str = "") -> str:
    extended = f"<ExtendedData>{data}</ExtendedData>" if data else ""
    return (
        f"<Placemark><name>{name}</name><description>{description}</description>{extended}"
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{ring(polygon)}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )


def pin(name: str, lon: float, lat: float, data: str = "") -> str:
    extended = f"<ExtendedData>{data}</ExtendedData>" if data else ""
    return (
        f"<Placemark><name>{name}</name>{extended}"
        f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>"
    )


def kml(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><name>Bản đồ thôn</name>{body}</Document></kml>"
    )


def data(**values: str) -> str:
    return "".join(f'<Data name="{k}"><value>{v}</value></Data>' for k, v in values.items())


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def reference_6960(source: int, x: float, y: float) -> tuple[float, float]:
    group = TransformerGroup(source, 4326, always_xy=True)
    [chosen] = [t for t in group.transformers if "VN-2000 to WGS 84 (2)" in t.description]
    return chosen.transform(x, y)


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


# -- KML and KMZ ---------------------------------------------------------------------------


def test_kml_placemark_polygon_becomes_a_unit_with_its_attributes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "thon.kml",
        kml(
            placemark(
                "Thôn 1",
                SQUARE_A,
                description="Vẽ trên Google Earth",
                data=data(ma="07057-001", ma_xa="07057"),
            )
        ),
    )
    raw, report = read_boundaries(path)
    assert report.ok, report.summary()
    assert raw.crs.to_epsg() == 4326 and raw.index.tolist() == [1]
    assert raw.geometry.iloc[0].geom_type == "MultiPolygon"
    assert raw.geometry.iloc[0].equals(SQUARE_A)
    assert raw["description"].iloc[0] == "Vẽ trên Google Earth"
    units, unit_report = normalise_units(raw, file_name=path.name, level=4)
    assert unit_report.ok, unit_report.summary()
    assert units.loc[0, ["code", "name", "unit_type", "parent_code"]].tolist() == [
        "07057-001",
        "Thôn 1",
        "thon",
        "07057",
    ]


def test_kml_folders_are_read_together_with_a_warning_or_one_by_layer(tmp_path: Path) -> None:
    path = write(
        tmp_path / "hai_xa.kml",
        kml(
            f"<Folder><name>Xã Bằng Cả</name>{placemark('Thôn 1', SQUARE_A)}</Folder>"
            f"<Folder><name>Ghim</name>{pin('Nhà văn hóa', 106.85, 21.09)}</Folder>"
            f"<Folder><name>Xã Quảng La</name>{placemark('Thôn 2', SQUARE_B)}</Folder>"
        ),
    )
    raw, report = read_boundaries(path)
    assert report.ok, report.summary()
    assert raw["Name"].tolist() == ["Thôn 1", "Thôn 2"]
    assert raw["kml_folder"].tolist() == ["Xã Bằng Cả", "Xã Quảng La"]
    [warning] = report.warnings
    assert "Xã Bằng Cả (1)" in warning.message and "Xã Quảng La (1)" in warning.message
    assert "Ghim" not in warning.message and warning.field == "layer"

    one, report = read_boundaries(path, layer="Xã Quảng La")
    assert report.ok and report.warnings == [] and one["Name"].tolist() == ["Thôn 2"]
    _, report = read_boundaries(path, layer="Xã Khác")
    problem = only_error(report)
    assert problem.field == "layer" and "Xã Bằng Cả, Ghim, Xã Quảng La" in problem.message


def test_kml_description_table_gives_attributes(tmp_path: Path) -> None:
    rows = "<tr><th>ma_xa</th><td>07057</td></tr><tr><td>so_ho</td><td>120</td></tr>"
    table = f"<![CDATA[<table>{rows}</table>]]>"
    path = write(tmp_path / "arcgis.kml", kml(placemark("Thôn 3", SQUARE_A, description=table)))
    raw, report = read_boundaries(path)
    assert report.ok, report.summary()
    assert (raw["ma_xa"].iloc[0], raw["so_ho"].iloc[0]) == ("07057", "120")


def test_kmz_is_read_through_its_doc_kml(tmp_path: Path) -> None:
    path = tmp_path / "thon.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", kml(placemark("Thôn 1", SQUARE_A)))
        archive.writestr("files/icon.png", b"\x89PNG")
    raw, report = read_boundaries(path)
    assert report.ok, report.summary()
    assert raw["Name"].tolist() == ["Thôn 1"] and raw.geometry.iloc[0].equals(SQUARE_A)


def test_kmz_without_a_kml_document_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "no map here")
    problem = only_error(read_boundaries(path)[1])
    assert "doc.kml" in problem.message and "none" in problem.message


def test_malformed_kml_is_reported_without_server_paths(tmp_path: Path) -> None:
    path = write(tmp_path / "hong.kml", kml(placemark("Thôn 1", SQUARE_A))[:180])
    frame, report = read_boundaries(path, display_name="hong.kml")
    problem = only_error(report)
    assert problem.file == "hong.kml" and "cannot read the file as KML" in problem.message
    assert str(tmp_path) not in problem.message and frame.empty


def test_kml_with_only_points_is_not_a_boundary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "ghim.kml", kml(pin("Nhà văn hóa thôn 1", 106.85, 21.09)))
    problem = only_error(read_boundaries(path)[1])
    assert problem.field == "layer" and "no polygon placemarks" in problem.message


# -- CSV and XLSX boundaries ----------------------------------------------------------------


def test_csv_with_wkt_reads_polygons_numbered_by_spreadsheet_row(tmp_path: Path) -> None:
    path = write(
        tmp_path / "thon.csv",
        "ma,ten,ma_xa,WKT\n"
        f'T1,Thôn 1,07057,"{SQUARE_A.wkt}"\n'
        "\n"  # a blank line keeps its row number
        f'T2,Thôn 2,07057,"{SQUARE_B.wkt}"\n',
    )
    raw, report = read_boundaries(path)
    assert report.ok, report.summary()
    assert raw.index.name == "row" and raw.index.tolist() == [2, 4]
    assert "WKT" not in raw.columns
    units, unit_report = normalise_units(raw, file_name=path.name, level=4)
    assert unit_report.ok and units["code"].tolist() == ["T1", "T2"]
    assert units.geometry.iloc[1].equals(SQUARE_B)


def test_bad_wkt_and_empty_cells_are_errors_naming_row_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path / "thon.csv",
        "ma;ten;Hình học\n"
        f"T1;Thôn 1;{SQUARE_A.wkt}\n"
        "T2;Thôn 2;POLYGON ((106.8 21.0, 106.9\n"
        "T3;Thôn 3;\n",
    )
    raw, report = read_boundaries(path)
    assert [(p.row, p.field, p.code) for p in report.errors] == [
        (3, "Hình học", "invalid_wkt"),
        (4, "Hình học", "missing"),
    ]
    assert "POLYGON ((106.8 21.0, 106.9" in report.errors[0].message
    assert raw.index.tolist() == [2]


def test_xlsx_reads_the_first_sheet_or_the_sheet_named_by_layer(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "ranh_gioi.xlsx",
        {
            "Thôn": [["Mã", "Tên", "Mã xã", "WKT"], ["T1", "Thôn 1", 7057, SQUARE_A.wkt]],
            "Xóm": [
                ["Mã", "Tên", "Mã xã", "WKT"],
                [None, None, None, None],
                ["X1", "Xóm 1", "07057", SQUARE_B.wkt],
            ],
        },
    )
    first, report = read_boundaries(path)
    assert report.ok and first["Mã"].tolist() == ["T1"]
    second, report = read_boundaries(path, layer="xom")  # accents and case ignored
    assert report.ok and second["Mã"].tolist() == ["X1"] and second.index.tolist() == [3]
    assert second.geometry.iloc[0].equals(SQUARE_B)
    _, report = read_boundaries(path, layer="Bản")
    problem = only_error(report)
    assert problem.field == "layer" and "sheets: Thôn, Xóm" in problem.message


def test_a_point_table_is_not_a_boundary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "diem.csv", "commune_code,name,lon,lat\n07057,Thôn 1,106.85,21.1\n")
    problem = only_error(read_boundaries(path)[1])
    assert "villages derive" in problem.message and problem.field == "lon/lat"
    points, report = read_boundaries(path, expect="points")
    assert report.ok and points.geometry.iloc[0].equals(shapely.Point(106.85, 21.1))


def test_metre_csv_without_crs_is_refused_with_the_zones_then_placed_with_crs(
    tmp_path: Path,
) -> None:
    to_tm3 = Transformer.from_crs(4756, 9210, always_xy=True)
    x, y = to_tm3.transform(106.85, 21.10)
    path = write(tmp_path / "vn2000.csv", f"commune_code,name,x,y\n07057,Thôn 1,{x:.3f},{y:.3f}\n")
    _, report = read_village_points(path)
    problem = only_error(report)
    assert "no CRS" in problem.message and "EPSG:9210" in problem.message
    assert "--crs" in problem.message

    points, report = read_village_points(path, crs="EPSG:9210")
    assert report.ok, report.summary()
    expected = reference_6960(9210, round(x, 3), round(y, 3))
    assert metres_apart((points["lon"][0], points["lat"][0]), expected) < 2.0


def test_wkt_in_metres_without_crs_is_refused(tmp_path: Path) -> None:
    square = shapely.box(560_000, 2_330_000, 560_500, 2_330_500)
    path = write(tmp_path / "tm3.csv", f'ma,ten,ma_xa,wkt\nT1,Thôn 1,07057,"{square.wkt}"\n')
    problem = only_error(read_boundaries(path)[1])
    assert "metres" in problem.message and "Likely CRSs" in problem.message


def test_survey_x_northing_columns_are_reported_as_swapped(tmp_path: Path) -> None:
    path = write(tmp_path / "toa_do.csv", "commune_code,name,X,Y\n07057,Thôn 1,2334000,560000\n")
    problem = only_error(read_village_points(path)[1])
    assert "northings" in problem.message and problem.field == "X/Y"


# -- village points in every format --------------------------------------------------------


@pytest.fixture(scope="module")
def communes() -> gpd.GeoDataFrame:
    units = gpd.read_file(BOUNDARIES / "units_pre2025.geojson")
    return units[units["level"] == 3]


def test_xlsx_village_points_with_vietnamese_headers(
    tmp_path: Path, communes: gpd.GeoDataFrame
) -> None:
    path = workbook(
        tmp_path / "thon.xlsx",
        {
            "Danh sách": [
                ["Mã xã", "Tên thôn", "Kinh độ", "Vĩ độ", "Số hộ"],
                [7057, "Thôn 1", 106.852093, 21.100746, 150],
                [7057, "Thôn 2", "106,847394", "21,078373", None],
                [7057, "Thôn 3", "abc", 21.09, None],
            ]
        },
    )
    points, report = read_village_points(path)
    assert [(p.severity, p.row, p.field) for p in report.problems] == [
        ("warning", 2, "Mã xã"),
        ("warning", 3, "Mã xã"),
        ("error", 4, "Kinh độ"),
    ]
    assert points["commune_code"].tolist() == ["07057", "07057"]
    assert points["row"].tolist() == [2, 3]
    assert points["lon"].tolist() == pytest.approx([106.852093, 106.847394])
    assert points["households"].tolist()[0] == 150
    areas, area_report = derive_village_areas(points, communes, file_name=path.name)
    assert area_report.ok and len(areas) == 2


@pytest.mark.parametrize("suffix", ["geojson", "gpkg"])
def test_gis_point_layers_are_village_points(tmp_path: Path, suffix: str) -> None:
    frame = gpd.GeoDataFrame(
        {"ma_xa": ["07057", "07057"], "ten": ["Thôn 1", "Thôn 2"]},
        geometry=[shapely.Point(106.852093, 21.100746), None],
        crs="EPSG:4326",
    )
    path = tmp_path / f"thon.{suffix}"
    pyogrio.write_dataframe(frame, path)
    points, report = read_village_points(path)
    assert report.ok, report.summary()
    assert points["name"].tolist() == ["Thôn 1", "Thôn 2"]
    assert points["row"].tolist() == [1, 2]
    assert points.geometry.iloc[1] is None and points["lat"].isna().tolist() == [False, True]


def test_kml_pins_are_village_points(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ghim.kml",
        kml(
            pin("Thôn 1", 106.852093, 21.100746, data(ma_xa="07057"))
            + placemark("Ranh giới", SQUARE_A, data=data(ma_xa="07057"))
        ),
    )
    points, report = read_village_points(path)
    assert [(p.row, p.field, p.code) for p in report.errors] == [(2, "geometry", "not_point")]
    assert points["name"].tolist() == ["Thôn 1"]
    assert points["commune_code"].tolist() == ["07057"]


def test_vn2000_point_layer_is_shifted_with_epsg_6960(tmp_path: Path) -> None:
    x, y = Transformer.from_crs(4756, 9210, always_xy=True).transform(106.85, 21.10)
    frame = gpd.GeoDataFrame(
        {"ma_xa": ["07057"], "ten": ["Thôn 1"]}, geometry=[shapely.Point(x, y)], crs="EPSG:9210"
    )
    path = tmp_path / "tm3.gpkg"
    pyogrio.write_dataframe(frame, path)
    points, report = read_village_points(path)
    assert report.ok, report.summary()
    position = (points["lon"][0], points["lat"][0])
    assert metres_apart(position, reference_6960(9210, x, y)) < 2.0
    assert metres_apart(position, (106.85, 21.10)) > 100  # the datum shift was applied


# -- villages with a list only ------------------------------------------------------------


def test_villages_without_location_keep_no_geometry_and_the_rest_share_the_commune(
    tmp_path: Path, communes: gpd.GeoDataFrame
) -> None:
    path = write(
        tmp_path / "thon.csv",
        "commune_code,name,lon,lat\n"
        "07057,Thôn 1,106.852093,21.100746\n"
        "07057,Thôn 2,,\n"
        "07057,Thôn 3,106.847394,21.078373\n",
    )
    points, report = read_village_points(path)
    assert report.problems == []
    areas, area_report = derive_village_areas(points, communes, file_name=path.name)
    assert [(p.severity, p.row, p.code) for p in area_report.problems] == [
        ("warning", 3, "no_location")
    ]
    assert "counts in every roll-up" in area_report.warnings[0].message
    by_name = areas.set_index("name")
    assert by_name["geometry_quality"].to_dict() == {
        "Thôn 1": GEOMETRY_APPROXIMATE,
        "Thôn 2": GEOMETRY_NONE,
        "Thôn 3": GEOMETRY_APPROXIMATE,
    }
    assert by_name.geometry["Thôn 2"] is None and by_name["label_lon"].isna()["Thôn 2"]
    commune = communes.set_index("code").geometry["07057"]
    shared = shapely.union_all([by_name.geometry["Thôn 1"], by_name.geometry["Thôn 3"]])
    assert shared.symmetric_difference(commune).area < 1e-4 * commune.area  # two share it all
    assert areas["code"].tolist() == ["07057-001", "07057-002", "07057-003"]


def test_a_list_without_coordinate_columns_is_imported_and_counted(demo_store: Store) -> None:
    commune = _commune_without_villages(demo_store)
    path = write(
        demo_store_path(demo_store).parent / "danh_sach.csv",
        f"Mã xã,Tên thôn,Số hộ\n{commune},Thôn Đông,120\n{commune},Thôn Tây,95\n",
    )
    # The list names communes as they stood on AS_OF (codes were reused in 2025).
    outcome = pipeline.import_villages(demo_store, path, VillageOptions(as_of=AS_OF))
    assert outcome.report.ok and len(outcome.report.warnings) == 2
    villages = demo_store.units(UnitQuery(as_of=AS_OF))
    listed = villages[villages["parent_code"] == commune]
    assert sorted(listed["name"]) == ["Thôn Tây", "Thôn Đông"]
    assert set(listed["geometry_quality"]) == {GEOMETRY_NONE}
    view = coverage_reads.coverage_as_of(demo_store, CoveragePolicy(), AS_OF)
    rollups = view.result.rollups.set_index("code")
    assert rollups.loc[commune, "villages_total"] == 2
    assert rollups.loc[commune, "villages_covered"] == 0


def test_a_list_row_naming_an_unknown_commune_is_an_error(demo_store: Store) -> None:
    path = write(
        demo_store_path(demo_store).parent / "sai.csv", "commune_code,name\n99999,Thôn 1\n"
    )
    before = len(demo_store.units())
    with pytest.raises(ImportRejected) as caught:
        pipeline.import_villages(demo_store, path)
    problem = only_error(caught.value.report)
    assert (problem.row, problem.field, problem.code) == (2, "commune_code", "unknown_commune")
    assert len(demo_store.units()) == before


def _commune_without_villages(store: Store) -> str:
    """A commune of the tree on AS_OF that has no villages yet."""
    units = store.units(UnitQuery(as_of=AS_OF))
    with_villages = set(units.loc[units["level"] == 4, "parent_code"])
    free = sorted(set(units.loc[units["level"] == 3, "code"]) - with_villages)
    assert free, "the demo has communes without villages"
    return free[0]


def demo_store_path(store: Store) -> Path:
    assert isinstance(store, GeoPackageStore)
    return store.path


def test_columns_are_the_unit_layout(tmp_path: Path, communes: gpd.GeoDataFrame) -> None:
    path = write(tmp_path / "list.csv", "commune_code,name\n07057,Thôn 9\n")
    points, _ = read_village_points(path)
    areas, report = derive_village_areas(points, communes, file_name=path.name)
    assert report.ok and list(areas.columns) == [*UNIT_COLUMNS, "geometry"]


def test_formulas_and_markup_in_names_are_errors(
    tmp_path: Path, communes: gpd.GeoDataFrame
) -> None:
    boundaries = write(
        tmp_path / "thon.csv",
        "ma,ten,ma_xa,wkt\n"
        f'T1,"=HYPERLINK(""http://x"")",07057,"{SQUARE_A.wkt}"\n'
        f'T2,Thôn 2,07057,"{SQUARE_B.wkt}"\n',
    )
    raw, report = read_boundaries(boundaries)
    _, unit_report = normalise_units(raw, file_name=boundaries.name, level=4)
    problem = only_error(unit_report)
    assert (problem.row, problem.field, problem.code) == (2, "ten", "formula")

    villages = write(
        tmp_path / "list.csv", "commune_code,name\n07057,Thôn 1\n07057,<script>x</script>\n"
    )
    _, report = read_village_points(villages)
    problem = only_error(report)
    assert (problem.row, problem.field, problem.code) == (3, "name", "markup")


def test_formula_cells_in_xlsx_tables_are_refused_naming_file_row_and_field(
    demo_store: Store, tmp_path: Path
) -> None:
    """Every XLSX is read by one reader, which keeps formulas as formulas: a boundary or
    village table refuses them, whatever Excel saved as their result."""
    boundaries = workbook(
        tmp_path / "ranh_gioi.xlsx",
        {
            "Thôn": [
                ["ma", "ten", "ma_xa", "WKT"],
                ["T1", '=HYPERLINK("http://x","Thôn 1")', "07057", SQUARE_A.wkt],
                ["T2", "Thôn 2", "07057", SQUARE_B.wkt],
            ]
        },
    )
    with_saved_result(boundaries, "B2", "Thôn 1", text=True)
    raw, report = read_boundaries(boundaries)
    problem = only_error(report)
    assert (problem.file, problem.row, problem.field) == ("ranh_gioi.xlsx", 2, "ten")
    assert problem.code == "formula"
    assert str(problem).startswith("error: ranh_gioi.xlsx, row 2, field 'ten': '=HYPERLINK(")
    assert raw.index.tolist() == [3]

    points = workbook(
        tmp_path / "thon.xlsx",
        {
            "Danh sách": [
                ["Mã xã", "Tên thôn", "Kinh độ", "Vĩ độ"],
                ["07057", "Thôn 1", "=106.85+0.002", 21.1],
                ["07057", "Thôn 2", 106.847, 21.078],
            ]
        },
    )
    found, report = read_village_points(points)
    problem = only_error(report)
    assert (problem.file, problem.row, problem.field) == ("thon.xlsx", 2, "Kinh độ")
    assert problem.code == "formula" and "=106.85+0.002" in problem.message
    assert found["name"].tolist() == ["Thôn 2"]
    before = len(demo_store.imports())
    with pytest.raises(ImportRejected) as caught:
        pipeline.import_villages(demo_store, points, VillageOptions(as_of=AS_OF))
    assert [p.code for p in caught.value.report.errors] == ["formula"]
    assert len(demo_store.imports()) == before


def test_dbf_text_typed_with_a_tcvn3_font_is_converted(tmp_path: Path) -> None:
    """Old cadastral Shapefiles hold names typed in TCVN3 (ABC) fonts as Latin-1 bytes."""
    from geo_service.text.legacy_encodings import decode_tcvn3

    tcvn3 = {"Thôn Thượng": "Th«n Th­îng", "Xóm Đình": "Xãm §×nh", "Tổ dân phố Hồng Hà": ""}
    tcvn3["Tổ dân phố Hồng Hà"] = "Tæ d©n phè Hång Hµ"
    assert {decode_tcvn3(v) for v in tcvn3.values()} == set(tcvn3)  # the spellings are right
    frame = gpd.GeoDataFrame(
        {"ma": ["V1", "V2", "V3"], "ten": list(tcvn3.values())},
        geometry=[shapely.box(105.0 + i / 100, 21.0, 105.005 + i / 100, 21.005) for i in range(3)],
        crs="EPSG:4326",
    )
    shp = tmp_path / "thon.shp"
    frame.to_file(shp, engine="pyogrio", encoding="latin1")
    (tmp_path / "thon.cpg").write_text("ISO-8859-1", encoding="ascii")
    raw, report = read_boundaries(shp)
    assert report.ok
    assert sorted(raw["ten"]) == sorted(tcvn3)
    (warning,) = [w for w in report.warnings if w.code == "legacy_text"]
    assert warning.field == "ten" and "TCVN3" in warning.message
