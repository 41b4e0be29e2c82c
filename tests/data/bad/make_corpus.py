"""Rebuild the bad-input corpus in this folder: ``python tests/data/bad/make_corpus.py [DIR]``.

Every file is small and made the way a commune's file goes wrong (a truncated download, a
Shapefile zipped without its .dbf, a register typed by hand). The output is deterministic:
zip entries carry a fixed date, DBF headers a fixed "last update", GeoPackages a fixed
``OGR_CURRENT_DATE``. tests/ingest/test_bad_corpus.py imports each file and checks the error;
README.md says, one line per file, what is wrong and what error is expected.
"""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from pyproj import Transformer

HERE = Path(__file__).resolve().parent
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
# Fixed timestamps for what GDAL writes (GeoPackage gpkg_contents.last_change).
os.environ["OGR_CURRENT_DATE"] = "2024-01-01T00:00:00.000Z"

# New communes under Huyện Lương Tài (264), placed beside Thị trấn Thứa.
LON, LAT, SIDE = 106.20, 21.02, 0.015
COMMUNE_HEADER = ("ma_xa", "ten_xa", "ma_huyen")
BANG_CA = "07057"  # Xã Bằng Cả, whose village points are in the demo
BANG_CA_THON_1 = (106.852093, 21.100746)
BANG_CA_THON_2 = (106.847394, 21.078373)

# fmt: off
REGISTER_HEADER = [
    "Mã mô hình", "Loại mô hình", "Tên mô hình", "Mã xã", "Xã/Phường", "Thôn/TDP",
    "Ngày ra mắt", "Trạng thái", "Tên tổ", "Số thành viên", "Chức danh tổ trưởng",
]
GOOD_REGISTER_ROW = [
    "MH-BAD-1", "patrol_team", "Tổ tuần tra nhân dân thôn 4", BANG_CA, "", "Thôn 4",
    "1/3/2024", "Hoạt động", "Tổ 1", "9", "Tổ trưởng",
]
# fmt: on
# A DDE payload that begins with "-" rather than "=" (OWASP's CSV injection examples).
MINUS_FORMULA = "-2+3+cmd|' /C calc'!A0"
EVIL_LINK = "http://example.invalid/x"
POINTS_HEADER = ["commune_code", "name", "unit_type", "lon", "lat", "households", "population"]
GOOD_POINT_ROW = [BANG_CA, "Thôn 1", "thon", *map(str, BANG_CA_THON_1), "150", "543"]


# -- writers ----------------------------------------------------------------------------------


def square(index: int = 0) -> shapely.Polygon:
    west = LON + index * 0.02
    return shapely.box(west, LAT, west + SIDE, LAT + SIDE)


def ring(index: int = 0) -> list[list[float]]:
    coords = shapely.get_coordinates(square(index).exterior)
    return [[round(float(x), 6), round(float(y), 6)] for x, y in coords]


def polygon(index: int = 0) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [ring(index)]}


def commune(code: str, name: str, parent: str = "264") -> dict[str, str]:
    return dict(zip(COMMUNE_HEADER, (code, name, parent), strict=True))


def feature(geometry: object, properties: dict[str, str]) -> dict[str, object]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def geojson(features: list[dict[str, object]]) -> bytes:
    collection = {"type": "FeatureCollection", "features": features}
    return (json.dumps(collection, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def csv_bytes(header: list[str], *rows: list[str]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def register(*rows: list[str], header: list[str] = REGISTER_HEADER) -> bytes:
    return csv_bytes(header, *rows)


def bad_register_row(**changes: str) -> list[str]:
    """A second model (row 3 of the file) with some cells changed by column header."""
    row = dict(zip(REGISTER_HEADER, GOOD_REGISTER_ROW, strict=True))
    row.update({"Mã mô hình": "MH-BAD-2", "Thôn/TDP": "Thôn 3", "Tên tổ": "Tổ 3"})
    row.update(changes)
    unknown = set(row) - set(REGISTER_HEADER)
    if unknown:
        raise KeyError(f"not register headers: {unknown}")
    return [row[h] for h in REGISTER_HEADER]


def points(*rows: list[str]) -> bytes:
    return csv_bytes(POINTS_HEADER, GOOD_POINT_ROW, *rows)


def zip_entries(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def shapefile_parts(frame: gpd.GeoDataFrame, stem: str = "xa") -> dict[str, bytes]:
    """The files of a UTF-8 Shapefile (with .cpg), DBF 'last update' fixed to 2024-01-01."""
    with tempfile.TemporaryDirectory() as folder:
        pyogrio.write_dataframe(frame, Path(folder) / f"{stem}.shp", encoding="UTF-8")
        parts = {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}
    dbf = bytearray(parts[f"{stem}.dbf"])
    dbf[1:4] = bytes([124, 1, 1])  # years since 1900, month, day
    parts[f"{stem}.dbf"] = bytes(dbf)
    return parts


def communes_frame(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    rows = [commune("99901", "Xã Thử Một"), commune("99902", "Xã Thử Hai")]
    return gpd.GeoDataFrame(rows, geometry=[square(0), square(1)], crs=crs)


def zipped_shapefile(frame: gpd.GeoDataFrame, *, drop: tuple[str, ...] = ()) -> bytes:
    parts = shapefile_parts(frame)
    return zip_entries(
        {f"ranh_gioi/{name}": data for name, data in parts.items() if Path(name).suffix not in drop}
    )


def with_declared_size(archive: bytes, size: int) -> bytes:
    """Patch every central-directory record to claim ``size`` uncompressed bytes.

    What a crafted zip bomb does: the header promises more than any upload limit allows.
    """
    data = bytearray(archive)
    start = data.find(b"PK\x01\x02")
    while start != -1:
        data[start + 24 : start + 28] = struct.pack("<I", size)
        start = data.find(b"PK\x01\x02", start + 4)
    return bytes(data)


# -- boundaries -------------------------------------------------------------------------------


def broken_json() -> bytes:
    whole = two_communes()()
    return whole[: len(whole) // 2]  # a download cut off half-way


def two_communes(
    second: dict[str, object] | None = None,
    *,
    code: str = "99902",
    name: str = "Xã Thử Hai",
    parent: str = "264",
) -> Callable[[], bytes]:
    """A good commune (feature 1) and a second one (feature 2) with the fault given."""

    def make() -> bytes:
        first = feature(polygon(0), commune("99901", "Xã Thử Một"))
        return geojson([first, feature(second or polygon(1), commune(code, name, parent))])

    return make


def bowtie(index: int) -> dict[str, object]:
    west, south, east, north = (round(v, 6) for v in square(index).bounds)
    corners = [[west, south], [east, north], [east, south], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [corners]}


def point_layer_geojson() -> bytes:
    return geojson(
        [
            feature({"type": "Point", "coordinates": list(BANG_CA_THON_1)}, {"ten": "Thôn 1"}),
            feature({"type": "Point", "coordinates": list(BANG_CA_THON_2)}, {"ten": "Thôn 2"}),
        ]
    )


def point_layer_gpkg() -> bytes:
    frame = gpd.GeoDataFrame(
        {"ten": ["Thôn 1", "Thôn 2"], "ma_xa": [BANG_CA, BANG_CA]},
        geometry=[shapely.Point(BANG_CA_THON_1), shapely.Point(BANG_CA_THON_2)],
        crs="EPSG:4326",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "diem_thon.gpkg"
        pyogrio.write_dataframe(frame, path, layer="diem_thon", driver="GPKG")
        return path.read_bytes()


def wrong_prj() -> bytes:
    """A .prj saying VN-2000 / UTM 48N (metres) over lon/lat degrees."""
    frame = communes_frame().set_crs("EPSG:3405", allow_override=True)
    return zipped_shapefile(frame)


def tm3_frame() -> gpd.GeoDataFrame:
    """The two test communes in VN-2000 / TM-3 105-30 (Bắc Ninh's zone), to the centimetre."""
    to_tm3 = Transformer.from_crs("EPSG:4326", "EPSG:9209", always_xy=True)
    shapes = [
        shapely.set_precision(
            shapely.transform(square(i), to_tm3.transform, interleaved=False), 0.01
        )
        for i in range(2)
    ]
    return gpd.GeoDataFrame(
        communes_frame().drop(columns="geometry"), geometry=shapes, crs="EPSG:9209"
    )


def tm3_without_prj() -> bytes:
    return zipped_shapefile(tm3_frame(), drop=(".prj",))


def tm3_in_geojson() -> bytes:
    """VN-2000 metres written into a GeoJSON, which is lon/lat by definition (RFC 7946)."""
    frame = tm3_frame()
    return geojson(
        [
            feature(json.loads(shapely.to_geojson(g)), dict(zip(COMMUNE_HEADER, row, strict=True)))
            for g, row in zip(
                frame.geometry, frame[list(COMMUNE_HEADER)].values.tolist(), strict=True
            )
        ]
    )


def swapped_latlon() -> bytes:
    swapped = [{"type": "Polygon", "coordinates": [[[y, x] for x, y in ring(i)]]} for i in (0, 1)]
    return geojson(
        [
            feature(swapped[0], commune("99901", "Xã Thử Một")),
            feature(swapped[1], commune("99902", "Xã Thử Hai")),
        ]
    )


def duplicate_village_names() -> bytes:
    """ "Thôn 1" and "Thôn Một" are one village written two ways."""

    def village(code: str, name: str) -> dict[str, str]:
        return {"ma_thon": code, "ten_thon": name, "ma_xa": BANG_CA}

    return geojson(
        [
            feature(polygon(0), village(f"{BANG_CA}-101", "Thôn 1")),
            feature(polygon(1), village(f"{BANG_CA}-102", "Thôn Một")),
        ]
    )


def no_features() -> bytes:
    return geojson([])


def zip_bomb() -> bytes:
    """20 MB of zeros deflate to about 20 kB: a ratio of 1,000 (the guard allows 100)."""
    parts = shapefile_parts(communes_frame())
    parts["xa.shp"] = parts["xa.shp"] + bytes(20_000_000)
    return zip_entries({f"ranh_gioi/{name}": data for name, data in parts.items()})


def zip_bomb_declared() -> bytes:
    """A small zip whose headers claim 4 GB per entry (over the 1 GiB limit)."""
    return with_declared_size(zipped_shapefile(communes_frame()), 0xFFFF_FFF0)


def zip_without_shp() -> bytes:
    readme = "Ranh giới xã: xem bản đồ giấy tại UBND xã.\n".encode()
    return zip_entries({"ranh_gioi/doc_truoc.txt": readme, "ranh_gioi/ban_do.pdf": b"%PDF-1.4\n"})


def text_as_gpkg() -> bytes:
    return "Ranh giới xã Bằng Cả — bản đồ sẽ gửi sau.\n".encode()


# -- registers --------------------------------------------------------------------------------


def garbage_header() -> bytes:
    """Bytes no Vietnamese encoding decodes to words (0x81, 0x8D, 0x8F, 0x90, 0x9D are
    unassigned in cp1252/cp1258 and map to no TCVN3 or VNI letter)."""
    header = b"\x81\x8d\x90\x9d,\x8f\x81\x9d\x8d,\x90\x90\x81,\x9d\x8f\x8d\x81\x90"
    body = register(GOOD_REGISTER_ROW).split(b"\n", 1)[1]
    return header + b"\n" + body


def without_column(header: list[str], row: list[str], column: str) -> Callable[[], bytes]:
    def make() -> bytes:
        kept = [i for i, name in enumerate(header) if name != column]
        return csv_bytes([header[i] for i in kept], [row[i] for i in kept])

    return make


def with_columns(**extra: str) -> Callable[[], bytes]:
    """The good register row with further columns (header: value) at the end."""

    def make() -> bytes:
        return register([*GOOD_REGISTER_ROW, *extra.values()], header=[*REGISTER_HEADER, *extra])

    return make


def ambiguous_commune() -> bytes:
    header = ["Mã mô hình", "Loại mô hình", "Xã/Phường", "Ngày ra mắt", "Số thành viên"]
    return register(
        ["MH-BAD-1", "patrol_team", "Bằng Cả", "1/3/2024", "9"],
        ["MH-BAD-2", "patrol_team", "Lê Lợi", "1/3/2024", "7"],  # in Hoành Bồ and Sơn Tây
        header=header,
    )


def conflicting_model_fields() -> bytes:
    second_team = bad_register_row(**{"Mã mô hình": "MH-BAD-1", "Tên mô hình": "Tổ tự quản thôn 3"})
    return register(GOOD_REGISTER_ROW, second_team)


def bad_row_register(**changes: str) -> Callable[[], bytes]:
    def build() -> bytes:
        return register(GOOD_REGISTER_ROW, bad_register_row(**changes))

    return build


# -- village points ---------------------------------------------------------------------------


def bad_point(**changes: str) -> Callable[[], bytes]:
    def build() -> bytes:
        row = dict(zip(POINTS_HEADER, GOOD_POINT_ROW, strict=True))
        row.update({"name": "Thôn 2", "lon": str(BANG_CA_THON_2[0]), "lat": str(BANG_CA_THON_2[1])})
        row.update(changes)
        return points([row[h] for h in POINTS_HEADER])

    return build


CORPUS: dict[str, Callable[[], bytes]] = {
    # boundaries (geo-service import boundaries FILE --level 3, or 4 for villages)
    "boundaries/broken_json.geojson": broken_json,
    "boundaries/empty.geojson": lambda: b"",
    "boundaries/no_features.geojson": no_features,
    "boundaries/empty_geometry.geojson": two_communes({"type": "Polygon", "coordinates": []}),
    "boundaries/mixed_geometry.geojson": two_communes(
        {"type": "LineString", "coordinates": ring(1)[:3]}
    ),
    "boundaries/points.geojson": point_layer_geojson,
    "boundaries/point_layer.gpkg": point_layer_gpkg,
    "boundaries/missing_dbf.zip": lambda: zipped_shapefile(communes_frame(), drop=(".dbf",)),
    "boundaries/missing_shx.zip": lambda: zipped_shapefile(communes_frame(), drop=(".shx",)),
    "boundaries/no_shp.zip": zip_without_shp,
    "boundaries/wrong_prj.zip": wrong_prj,
    "boundaries/tm3_without_prj.zip": tm3_without_prj,
    "boundaries/tm3_in_geojson.geojson": tm3_in_geojson,
    "boundaries/swapped_latlon.geojson": swapped_latlon,
    "boundaries/duplicate_codes.geojson": two_communes(code="99901"),
    "boundaries/unknown_parent.geojson": two_communes(parent="999"),
    "boundaries/missing_name.geojson": two_communes(name=""),
    "boundaries/duplicate_village_names.geojson": duplicate_village_names,
    "boundaries/zip_bomb.zip": zip_bomb,
    "boundaries/zip_bomb_declared.zip": zip_bomb_declared,
    "boundaries/text.gpkg": text_as_gpkg,
    "boundaries/formula_code.geojson": two_communes(code=f'=HYPERLINK("{EVIL_LINK}","x")'),
    "boundaries/formula_parent_code.geojson": two_communes(parent="=1+1"),
    "boundaries/formula_name.geojson": two_communes(name=MINUS_FORMULA),
    "boundaries/phone_in_name.geojson": two_communes(name="Xã Thử Hai 0912 345 678"),
    # boundaries that are repaired with a warning and then accepted
    "boundaries/repaired/unclosed_ring.geojson": two_communes(
        {"type": "Polygon", "coordinates": [ring(1)[:-1]]}
    ),
    "boundaries/repaired/self_intersection.geojson": two_communes(bowtie(1)),
    # registers (geo-service import models FILE)
    "registers/empty.csv": lambda: b"",
    "registers/header_only.csv": lambda: register(),
    "registers/garbage_header.csv": garbage_header,
    "registers/title_only.csv": lambda: (
        "DANH SÁCH MÔ HÌNH TỰ QUẢN VỀ AN NINH, TRẬT TỰ NĂM 2024\n".encode()
    ),
    "registers/every_row_unmatched.csv": lambda: csv_bytes(
        ["Tỉnh", "Huyện", "Xã/Phường", "Loại mô hình", "Tên mô hình", "Số thành viên"],
        ["Quảng Ninh", "Hoành Bồ", "Xã Không Có", "Tổ tuần tra nhân dân", "Tổ tuần tra 1", "5"],
        [
            "Quảng Ninh",
            "Hoành Bồ",
            "Xã Cũng Không Có",
            "Tổ tuần tra nhân dân",
            "Tổ tuần tra 2",
            "6",
        ],
    ),
    "registers/empty_type_column.csv": lambda: csv_bytes(
        ["Huyện", "Xã/Phường", "Thôn/TDP", "Loại mô hình", "Tên mô hình", "Số thành viên"],
        ["Hoành Bồ", "Xã Bằng Cả", "Thôn 1", "", "Tổ tuần tra thôn 1", "5"],
        ["Hoành Bồ", "Xã Bằng Cả", "Thôn 2", "", "Tổ tuần tra thôn 2", "6"],
    ),
    "registers/missing_type_column.csv": without_column(
        REGISTER_HEADER, GOOD_REGISTER_ROW, "Loại mô hình"
    ),
    "registers/duplicate_columns.csv": with_columns(**{"Số TV": "9"}),
    "registers/personal_data.csv": with_columns(
        **{"Họ tên": "Nguyễn Văn Mẫu", "Số điện thoại": "0900000000"}
    ),
    "registers/unknown_commune_code.csv": bad_row_register(**{"Mã xã": "12345"}),
    "registers/unknown_village.csv": bad_row_register(**{"Thôn/TDP": "Thôn 9"}),
    "registers/ambiguous_commune.csv": ambiguous_commune,
    # Phường Viên Sơn has "Tổ dân phố 1 Tiền Huân" and "Tổ dân phố 1 Viên Sơn"
    "registers/ambiguous_village.csv": bad_row_register(
        **{"Mã xã": "09595", "Thôn/TDP": "Tổ dân phố 1"}
    ),
    "registers/formula_in_name.csv": bad_row_register(
        **{"Tên mô hình": '=HYPERLINK("http://example.invalid/x","Bấm vào đây")'}
    ),
    "registers/script_in_name.csv": bad_row_register(**{"Tên tổ": "<script>alert(1)</script>"}),
    "registers/formula_minus_team.csv": bad_row_register(**{"Tên tổ": MINUS_FORMULA}),
    "registers/console_markup_in_cell.csv": bad_row_register(**{"Tên tổ": "=[/x] [bold]y"}),
    "registers/formula_minus_key.csv": bad_row_register(**{"Mã mô hình": MINUS_FORMULA}),
    "registers/formula_minus_note.csv": with_columns(**{"Ghi chú": MINUS_FORMULA}),
    "registers/phone_in_leader_role.csv": bad_row_register(
        **{"Chức danh tổ trưởng": "Tổ trưởng Nguyễn Văn An, SĐT 0912 345 678"}
    ),
    "registers/phone_in_team_name.csv": bad_row_register(**{"Tên tổ": "Tổ 3 (LH +84 912.345.678)"}),
    "registers/cccd_in_notes.csv": with_columns(**{"Ghi chú": "Tổ trưởng: CCCD 001089012345"}),
    "registers/email_in_notes.csv": with_columns(**{"Ghi chú": "Liên hệ to.truong@example.com"}),
    "registers/personal_figure.csv": with_columns(**{"Chỉ số khác": "sdt_to_truong=912345678"}),
    "registers/negative_members.csv": bad_row_register(**{"Số thành viên": "-5"}),
    "registers/impossible_date.csv": bad_row_register(**{"Ngày ra mắt": "31/02/2024"}),
    "registers/conflicting_model_fields.csv": conflicting_model_fields,
    "registers/unknown_model_type.csv": bad_row_register(**{"Loại mô hình": "Đội bay"}),
    "registers/unknown_status.csv": bad_row_register(**{"Trạng thái": "Tạm nghỉ"}),
    "registers/empty_model_key.csv": bad_row_register(**{"Mã mô hình": ""}),
    # village points (geo-service villages derive FILE --import)
    "villages/outside_commune.csv": bad_point(lon="105.5", lat="21.15"),  # in Sơn Tây
    "villages/non_numeric_lat.csv": bad_point(lat="hai mốt độ"),
    "villages/swapped_latlon.csv": bad_point(
        lon=str(BANG_CA_THON_2[1]), lat=str(BANG_CA_THON_2[0])
    ),
    "villages/unknown_commune.csv": bad_point(commune_code="99999"),
    "villages/duplicate_names.csv": bad_point(name="Thôn Một"),
    "villages/missing_name.csv": bad_point(name=""),
    "villages/missing_lat_column.csv": without_column(POINTS_HEADER, GOOD_POINT_ROW, "lat"),
    "villages/formula_name.csv": bad_point(name=MINUS_FORMULA),
    "villages/phone_in_name.csv": bad_point(name="Thôn 2 - 0987 654 321"),
}


def build(target: Path = HERE) -> list[Path]:
    """Write every corpus file under ``target``; returns the paths written."""
    written = []
    for relative, make in CORPUS.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make())
        written.append(path)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for path in build(out):
        print(f"{path.stat().st_size:>8}  {path.relative_to(out)}")
