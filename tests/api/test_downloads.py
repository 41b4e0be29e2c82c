"""What the service hands out as files (issue 10, items 9 and 14).

- GeoJSON is shown inline by the API, and sent as an attachment with its file name when
  asked (``download=1``), as the map page's download links ask.
- The gaps CSV has one column set on every date and for every parent filter.
- No CSV cell runs as a formula: text beginning ``=``, ``+``, ``-``, ``@``, tab or CR is
  quoted, whatever the store holds (written here through the store's ``apply``, past any
  input check); numbers stay numbers. The mapping template does the same, and reads its
  own quoting back.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from geo_service.app import create_app
from geo_service.coverage.reads import coverage_as_of
from geo_service.domain import UNIT_COLUMNS
from geo_service.ingest.registers.mapping import read_mapping
from geo_service.ingest.registers.match_report import Lookup, MatchReport, Placed, RowMatch
from geo_service.ingest.report import ValidationReport
from geo_service.output.spreadsheet_cells import inert, restored
from geo_service.settings import CoveragePolicy, Settings
from geo_service.store import ImportBatch, ImportSource, open_store
from geo_service.web.assets import AssetMode
from geo_service.web.map import render_map_html

BEFORE, AFTER = "2025-06-30", "2025-07-01"
HYPERLINK = '=HYPERLINK("http://example.invalid/x","open")'
SUM = "-2+3"


def csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# -- attachments -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/coverage", "/api/gaps"])
def test_geojson_is_inline_unless_a_download_is_asked_for(client: TestClient, path: str) -> None:
    shown = client.get(path, params={"as_of": BEFORE})
    assert shown.headers["content-disposition"].startswith("inline;")
    saved = client.get(path, params={"as_of": BEFORE, "download": "1"})
    disposition = saved.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="[a-z]+_all_(level4_)?2025-06-30\.geojson"', disposition)
    assert saved.headers["content-type"] == "application/geo+json"
    assert saved.content == shown.content
    as_csv = client.get(path, params={"as_of": BEFORE, "format": "csv"})
    assert as_csv.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize("unit", [None, "09496"])
def test_the_map_page_links_to_downloads_that_save_files(
    client: TestClient, unit: str | None
) -> None:
    params = {"as_of": BEFORE} | ({"unit": unit} if unit else {})
    page = client.get("/", params=params).text
    links = re.findall(r'<a class="download download-([a-z-]+)" href="([^"]+)"', page)
    assert {key for key, _ in links} == {
        "coverage-geojson",
        "coverage-csv",
        "gaps-geojson",
        "gaps-csv",
    }
    for key, href in links:
        href = href.replace("&amp;", "&")
        assert "download=1" in href and "as_of=2025-06-30" in href
        assert ("parent=09496" in href) == (unit is not None)
        response = client.get("/" + href)
        assert response.status_code == 200, (key, href)
        assert response.headers["content-disposition"].startswith("attachment;"), key
        expected = ".csv" if key.endswith("csv") else ".geojson"
        assert expected + '"' in response.headers["content-disposition"]


def test_a_map_file_opened_from_disk_has_no_links_to_a_server(demo_gpkg: Path) -> None:
    view = coverage_as_of(open_store(str(demo_gpkg)), CoveragePolicy(), date(2025, 6, 30))
    assert 'class="download' in render_map_html(view, assets=AssetMode.SERVED)
    assert 'class="download' not in render_map_html(view, assets=AssetMode.INLINE)


# -- one column set ----------------------------------------------------------------------------


def test_the_gaps_csv_has_one_column_set_on_every_date(client: TestClient) -> None:
    headers = {}
    for params in ({"as_of": BEFORE}, {"as_of": AFTER}, {"as_of": BEFORE, "parent": "07057"}):
        content = client.get("/api/gaps", params={**params, "format": "csv"}).content
        headers[tuple(sorted(params.items()))] = content.decode("utf-8-sig").splitlines()[0]
    assert len(set(headers.values())) == 1, headers
    assert "commune_name,district_name,province_name" in next(iter(headers.values()))

    def thon_4(params: dict[str, str]) -> dict[str, str]:
        content = client.get("/api/gaps", params={**params, "format": "csv"}).content
        return next(row for row in csv_rows(content) if row["code"] == "07057-004")

    before = thon_4({"as_of": BEFORE, "parent": "07057"})  # names above the parent too
    assert (before["commune_name"], before["district_name"], before["province_name"]) == (
        "Xã Bằng Cả",
        "Huyện Hoành Bồ",
        "Tỉnh Quảng Ninh",
    )
    after = thon_4({"as_of": AFTER})  # no districts after the 2025 reform
    assert (after["commune_name"], after["district_name"], after["province_name"]) == (
        "Xã Quảng La",
        "",
        "Tỉnh Quảng Ninh",
    )


# -- formula injection -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_client(
    demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The demo with two villages whose stored codes and names are formulas."""
    path = tmp_path_factory.mktemp("hostile") / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    defaults: dict[str, Any] = dict.fromkeys(UNIT_COLUMNS) | {
        "unit_type": "thon",
        "level": 4,
        "parent_code": "09496",
        "geometry_quality": "surveyed",
        "source": "test",
    }
    rows = [
        defaults | {"code": HYPERLINK, "name": SUM, "households": -2, "population": 10},
        defaults | {"code": "+1", "name": "@SUM(A1)", "unit_type": "\tthon"},
    ]
    frame = pd.DataFrame(rows)[UNIT_COLUMNS]
    geometry = [box(106.20, 21.00, 106.201, 21.001), box(106.21, 21.00, 106.211, 21.001)]
    units = gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)
    store = open_store(str(path))
    store.apply(ImportBatch(ImportSource("boundaries", "hostile.geojson", "0" * 64), units=units))
    with TestClient(create_app(Settings(store_path=path))) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "query"),
    [("/api/gaps", {}), ("/api/coverage", {}), ("/api/coverage", {"parent": "09496"})],
)
def test_no_csv_cell_begins_like_a_formula(
    hostile_client: TestClient, path: str, query: dict[str, str]
) -> None:
    response = hostile_client.get(path, params={**query, "as_of": BEFORE, "format": "csv"})
    rows = csv_rows(response.content)
    hostile = next(row for row in rows if row["name"] == "'" + SUM)
    assert hostile["code"] == "'" + HYPERLINK
    other = next(row for row in rows if row["code"] == "'+1")
    assert other["name"] == "'@SUM(A1)" and other["unit_type"] == "'\tthon"
    for row in rows:
        for cell in row.values():
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                float(cell)  # only a number may begin so: -2 stays a number
    text = response.content.decode("utf-8-sig")
    assert ",-2," in text  # the stored number, not quoted, not prefixed


def test_the_mapping_template_quotes_formulas_and_reads_them_back(tmp_path: Path) -> None:
    lookup = Lookup("commune", "=cmd|' /C calc'!A0", "", "unmatched")
    report = MatchReport("register.csv")
    report.add(RowMatch("register.csv", 2, "M1", Placed(lookup, "register.csv", 2, "xa"), None))
    template = tmp_path / "mapping.csv"
    assert report.write_mapping_template(template) == 1
    with template.open(encoding="utf-8-sig", newline="") as stream:
        (row,) = list(csv.DictReader(stream))
    assert row["given_name"] == "'=cmd|' /C calc'!A0"
    row["code"] = "09496"
    with template.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    mapping = read_mapping(template, ValidationReport("mapping.csv"))
    entry = mapping.find("commune", [""], "=cmd|' /C calc'!A0")
    assert entry is not None and entry.code == "09496"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Thôn 1", "Thôn 1"),
        ("'=x", "'=x"),
        (-2, -2),
        (None, None),
    ],
)
def test_inert_cells(value: object, written: object) -> None:
    assert inert(value) == written
    if isinstance(value, str):
        assert restored(str(written)) == value or value.startswith("'")
