"""Build the bundled demo boundaries from the shared source data.

Usage::

    .venv/bin/python data/boundaries/build_bundle.py /work/shared/data

Writes next to this script ``units_pre2025.geojson``, ``units_2025.geojson``,
``lineage_2025.csv``, ``former_names.csv`` and ``village_points.csv`` (provenance in
SOURCES.md). The run is deterministic: rerunning it on the same sources rewrites identical files.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run as a script: make the package importable

from synthetic_villages import SEED_VILLAGES, build_village_points  # noqa: E402

from geo_service.domain import METRIC_CRS, UNIT_COLUMNS, UNIT_TYPES, WGS84, Level  # noqa: E402

REFORM = "2025-07-01"
OVERLAP_SHARE = 0.10
PRECISION_DEG = 1e-6  # 6 decimals, ~0.1 m: far below the 2008 polygons' resolution

SRC_2008 = "censusVN2009 (© 2017 Marc Choisy, MIT), 2008 boundaries"
SRC_2025 = "vietnamese-provinces-database (thanglequoc, MIT), 2025 boundaries"
POP_2019 = "population: GSO census 2019"
POP_2009 = "population: census 2009 (censusVN2009)"

# ASCII `province` field -> (GSO code, name, type). The 2008 files' Vietnamese names are
# escaped or wrong in places (districts_2008 gives Hà Nội's districts "Hòa Bình").
SEED_PROVINCES = {
    "Ha Noi": ("01", "Thành phố Hà Nội", "thanh_pho_tw"),
    "Quang Ninh": ("22", "Tỉnh Quảng Ninh", "tinh"),
    "Bac Ninh": ("27", "Tỉnh Bắc Ninh", "tinh"),
    "Thanh Hoa": ("38", "Tỉnh Thanh Hóa", "tinh"),
    "Quang Tri": ("45", "Tỉnh Quảng Trị", "tinh"),
}
# (province, district) ASCII -> (GSO code, name, type). Matched on both fields because
# district names repeat across provinces (Sơn Tây is also a huyện of Quảng Ngãi).
SEED_DISTRICTS = {
    ("Bac Ninh", "Luong Tai"): ("264", "Huyện Lương Tài", "huyen"),
    ("Thanh Hoa", "Thieu Hoa"): ("398", "Huyện Thiệu Hóa", "huyen"),
    ("Quang Ninh", "Hoanh Bo"): ("204", "Huyện Hoành Bồ", "huyen"),
    ("Ha Noi", "Son Tay"): ("269", "Thị xã Sơn Tây", "thi_xa"),
    ("Quang Tri", "Quang Tri"): ("462", "Thị xã Quảng Trị", "thi_xa"),
}
# Commune fixes, keyed by the 2008 name: the one commune without a GSO code, and the
# town the 2008 set still calls Vạn Hà (renamed Thị trấn Thiệu Hóa).
MISSING_CODES = {("Son Tay", "Phường Sơn Đông"): "09613"}
RENAMES = {"15772": "Thị trấn Thiệu Hóa"}
# Where the replaced names are written, cited in former_names.csv (see SOURCES.md).
FORMER_NAME_SOURCE = "censusVN2009 seed_districts_communes_2008, MIT (SOURCES.md)"

PROVINCE_LINEAGE = {"01": "01", "22": "22", "27": "24", "38": "38", "45": "44"}
FULL_RESOLUTION_2025 = {"09496", "15772", "07054", "09574", "19360"}
EXPECTED_SUCCESSORS = {
    "09496": {"09496"},
    "19357": {"19360"},
    "07057": {"07054"},
    "09595": {"09574"},
    "15772": {"15772", "15796", "15835"},
}

# Word-final "oa/oe/uy" carry the tone mark on the first vowel in the style of the pre-2025
# set and DOMAIN.md ("Hóa", "Hòa", "Thủy"); the 2025 source mixes both styles ("Hoá").
_TONE_MOVES = {
    "oà": "òa",
    "oá": "óa",
    "oả": "ỏa",
    "oã": "õa",
    "oạ": "ọa",
    "oè": "òe",
    "oé": "óe",
    "oẻ": "ỏe",
    "oẽ": "õe",
    "oẹ": "ọe",
    "uỳ": "ùy",
    "uý": "úy",
    "uỷ": "ủy",
    "uỹ": "ũy",
    "uỵ": "ụy",
}


def canonical_name(name: str) -> str:
    """NFC, single spaces, tone mark placed as in "Hóa" (not after "q": "Quý" stays)."""
    words = unicodedata.normalize("NFC", " ".join(name.split())).split(" ")
    out = []
    for word in words:
        tail = word[-2:].lower()
        if tail in _TONE_MOVES and not word[:-2].lower().endswith("q"):
            moved = _TONE_MOVES[tail]
            word = word[:-2] + (moved if word[-2].islower() else moved.capitalize())
        out.append(word)
    return " ".join(out)


def unit_type_of(name: str, level: Level) -> str:
    """The unit type slug whose Vietnamese word starts the name (longest word first)."""
    candidates = [(w, s) for s, (w, lv) in UNIT_TYPES.items() if lv == level]
    for word, slug in sorted(candidates, key=lambda c: -len(c[0])):
        if name.startswith(word + " "):
            return slug
    raise SystemExit(f"no level-{int(level)} unit type in name {name!r}")


def load_population(src: Path) -> pd.DataFrame:
    pop = pd.read_csv(src / "stats/population_2019_by_commune.csv", dtype=str)
    pop["total"] = pop["total"].astype(int)
    return pop


def unit_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Rows -> canonical unit frame: snapped to the output precision, labels inside."""
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    frame["geometry"] = shapely.set_precision(frame.geometry.values, PRECISION_DEG)
    labels = frame.geometry.representative_point()
    frame["label_lon"] = labels.x.round(6)
    frame["label_lat"] = labels.y.round(6)
    for column in ("population", "households"):
        frame[column] = pd.array(frame.get(column, [None] * len(frame)), dtype="Int64")
    frame["level"] = frame["level"].astype(int)
    frame["geometry_quality"] = "surveyed"
    return frame[[*UNIT_COLUMNS, "geometry"]]


def pre2025_rows(src: Path, pop: pd.DataFrame) -> list[dict[str, Any]]:
    period = {"valid_from": None, "valid_to": REFORM}
    by_province = pop.groupby("province_code")["total"].sum()
    by_district = pop.groupby("district_code")["total"].sum()
    rows: list[dict[str, Any]] = []
    provinces = gpd.read_file(src / "boundaries/provinces_2008.geojson")
    for _, p in provinces[provinces["province"].isin(SEED_PROVINCES)].iterrows():
        code, name, kind = SEED_PROVINCES[p["province"]]
        rows.append(
            {
                "code": code,
                "name": name,
                "unit_type": kind,
                "level": 1,
                "parent_code": None,
                "population": int(by_province[code]),
                "source": f"{SRC_2008}; {POP_2019}",
                "geometry": p.geometry,
                **period,
            }
        )
    districts = gpd.read_file(src / "boundaries/districts_2008.geojson")
    for _, d in districts.iterrows():
        key = (d["province"], d["district"])
        if key not in SEED_DISTRICTS:
            continue
        code, name, kind = SEED_DISTRICTS[key]
        rows.append(
            {
                "code": code,
                "name": name,
                "unit_type": kind,
                "level": 2,
                "parent_code": SEED_PROVINCES[d["province"]][0],
                "population": int(by_district[code]),
                "source": f"{SRC_2008}; {POP_2019}",
                "geometry": d.geometry,
                **period,
            }
        )
    return rows + commune_rows_2008(src, pop)


def commune_rows_2008(src: Path, pop: pd.DataFrame) -> list[dict[str, Any]]:
    census_2019 = pop.set_index("commune_code")["total"]
    communes = gpd.read_file(src / "boundaries/seed_districts_communes_2008.geojson")
    rows = []
    for _, c in communes.iterrows():
        name = canonical_name(c["commune_vn"])
        code = c["gso_commune_code_2019"]
        if pd.isna(code):
            code = MISSING_CODES[(c["district"], name)]
        name = RENAMES.get(code, name)
        district_code = SEED_DISTRICTS[(c["province"], c["district"])][0]
        if code in census_2019.index:
            population, note = int(census_2019[code]), POP_2019
        else:
            population, note = int(c["population"]), POP_2009
        rows.append(
            {
                "code": code,
                "name": name,
                "unit_type": unit_type_of(name, Level.COMMUNE),
                "level": 3,
                "parent_code": district_code,
                "population": population,
                "valid_from": None,
                "valid_to": REFORM,
                "source": f"{SRC_2008}; {note}",
                "geometry": c.geometry,
            }
        )
    return rows


def read_lineage(src: Path) -> tuple[dict[str, list[str]], dict[tuple[str, str], str]]:
    """Old commune -> ordered new codes, and (old, new) -> the source's full/partial kind."""
    old_to_new = json.loads((src / "codes/lineage_2025_old_to_new.json").read_text("utf-8"))
    successors = {
        c["level3_id"]: [s["new_id"] for s in c["splits"]]
        for p in old_to_new["data"]
        for c in p["level3s"]
    }
    new_to_old = json.loads((src / "codes/lineage_2025_new_to_old.json").read_text("utf-8"))
    kinds = {
        (m["old_id"], w["level2_id"]): m["type"]
        for p in new_to_old["data"]
        for w in p["level2s"]
        for m in w["merges"]
    }
    return successors, kinds


def lineage_frame(communes: gpd.GeoDataFrame, src: Path) -> pd.DataFrame:
    successors, source_kinds = read_lineage(src)
    derived = overlap_successors(communes[~communes["code"].isin(successors)], src)
    rows = []
    for old in sorted(communes["code"]):
        news = successors.get(old) or derived[old]
        kind = "full" if len(news) == 1 else "partial"
        for new in news:
            if source_kinds.get((old, new), kind) != kind:
                print(f"note: {old}->{new}: new_to_old says {source_kinds[(old, new)]}")
            rows.append((old, new, kind))
    rows += [(old, new, "full") for old, new in PROVINCE_LINEAGE.items()]
    frame = pd.DataFrame(rows, columns=["old_code", "new_code", "kind"])
    frame["effective"] = REFORM
    check_seed_lineage(frame)
    return frame


def overlap_successors(old: gpd.GeoDataFrame, src: Path) -> dict[str, list[str]]:
    """Successors of communes the lineage file lacks (merged into others before 2025).

    A 2025 commune is a successor when it covers at least OVERLAP_SHARE of the 2008
    polygon; smaller shares are the misfit of the low-resolution 2008 boundaries.
    """
    old_m = old.to_crs(METRIC_CRS)
    new_m = gpd.read_file(src / "boundaries/communes_2025.geojson").to_crs(METRIC_CRS)
    derived = {}
    for code, polygon in zip(old_m["code"], old_m.geometry, strict=True):
        near = new_m[new_m.intersects(polygon)]
        share = near.geometry.intersection(polygon).area / polygon.area
        derived[code] = sorted(near.loc[share >= OVERLAP_SHARE, "code"])
        print(f"note: {code} is not in the lineage file; by overlap -> {derived[code]}")
    return derived


def check_seed_lineage(lineage: pd.DataFrame) -> None:
    for old, expected in EXPECTED_SUCCESSORS.items():
        found = set(lineage.loc[lineage["old_code"] == old, "new_code"])
        if found != expected:
            raise SystemExit(f"lineage of {old}: expected {sorted(expected)}, got {sorted(found)}")


def units_2025(src: Path, new_codes: set[str]) -> gpd.GeoDataFrame:
    catalogue = json.loads((src / "codes/units_2025.json").read_text("utf-8"))
    names = {p["Code"]: p["FullName"] for p in catalogue}
    names |= {w["Code"]: w["FullName"] for p in catalogue for w in p["Wards"]}
    period = {"valid_from": REFORM, "valid_to": None, "population": None}
    rows: list[dict[str, Any]] = []
    provinces = gpd.read_file(src / "boundaries/provinces_2025.geojson")
    for _, p in provinces[provinces["code"].isin(PROVINCE_LINEAGE.values())].iterrows():
        name = canonical_name(names[p["code"]])
        rows.append(
            {
                "code": p["code"],
                "name": name,
                "level": 1,
                "parent_code": None,
                "unit_type": "thanh_pho_tw" if name.startswith("Thành phố") else "tinh",
                "source": SRC_2025,
                "geometry": p.geometry,
                **period,
            }
        )
    full = gpd.read_file(src / "boundaries/seed_communes_2025_full.geojson")
    simplified = gpd.read_file(src / "boundaries/communes_2025.geojson")
    sources = [
        (full[full["code"].isin(FULL_RESOLUTION_2025)], "full resolution"),
        (simplified[~simplified["code"].isin(FULL_RESOLUTION_2025)], "simplified"),
    ]
    for frame, note in sources:
        for _, c in frame[frame["code"].isin(new_codes)].sort_values("code").iterrows():
            name = canonical_name(names[c["code"]])
            rows.append(
                {
                    "code": c["code"],
                    "name": name,
                    "level": 3,
                    "unit_type": unit_type_of(name, Level.COMMUNE),
                    "parent_code": c["province_code"],
                    "source": f"{SRC_2025}, {note}",
                    "geometry": c.geometry,
                    **period,
                }
            )
    units = unit_frame(rows)
    missing = new_codes - set(units["code"])
    if missing:
        raise SystemExit(f"2025 communes without geometry: {sorted(missing)}")
    return units


def former_names_2008(src: Path) -> pd.DataFrame:
    """The 2008 names that ``RENAMES`` replaced, as former names (``former_names.csv``)."""
    communes = gpd.read_file(src / "boundaries/seed_districts_communes_2008.geojson")
    rows = []
    for _, c in communes.iterrows():
        code, name = c["gso_commune_code_2019"], canonical_name(c["commune_vn"])
        if code in RENAMES and name != RENAMES[code]:
            source = f"{FORMER_NAME_SOURCE}: commune_vn of {code}"
            rows.append({"code": code, "name": name, "until": "", "source": source})
    return pd.DataFrame(rows, columns=["code", "name", "until", "source"])


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        frame, path, driver="GeoJSON", RFC7946="YES", COORDINATE_PRECISION=6, WRITE_NAME="NO"
    )


def main(src: Path) -> None:
    pop = load_population(src)
    pre = unit_frame(pre2025_rows(src, pop))
    communes = pre[pre["level"] == 3]
    if len(communes) != 75 or communes["code"].duplicated().any():
        raise SystemExit("expected 75 communes with unique codes")
    lineage = lineage_frame(communes, src)
    new_communes = set(lineage.loc[lineage["old_code"].isin(communes["code"]), "new_code"])
    post = units_2025(src, new_communes)
    villages = build_village_points(pre, post, lineage)
    write_geojson(pre.sort_values(["level", "code"]), HERE / "units_pre2025.geojson")
    write_geojson(post.sort_values(["level", "code"]), HERE / "units_2025.geojson")
    lineage.to_csv(HERE / "lineage_2025.csv", index=False, lineterminator="\n")
    villages.to_csv(HERE / "village_points.csv", index=False, lineterminator="\n")
    former = former_names_2008(src)
    former.to_csv(HERE / "former_names.csv", index=False, lineterminator="\n")
    print(
        f"pre-2025 units: {len(pre)}, 2025 units: {len(post)}, lineage rows: {len(lineage)}, "
        f"villages: {len(villages)} in {len(SEED_VILLAGES)} communes"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
