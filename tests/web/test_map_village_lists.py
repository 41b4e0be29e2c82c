"""The map, the CSV and the map file say how complete the village list is (issue 10,
item 8): areas without a village list are grey, and no data is shown neither as covered
nor as uncovered, nor as 0/0. Built from the real demo store."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import folium
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.coverage.reads import CoverageView, coverage_as_of
from geo_service.settings import CoveragePolicy
from geo_service.store import open_store
from geo_service.web.map import build_coverage_map, render_map_html

AFTER = date(2026, 1, 1)
NO_DATA_LAYER = "Chưa có danh sách thôn / no village list"
COMMUNE_LAYER = "Xã, phường / communes"


@pytest.fixture(scope="module")
def quang_la(demo_gpkg: Path) -> CoverageView:
    store = open_store(str(demo_gpkg))
    return coverage_as_of(store, CoveragePolicy(), AFTER, "22", with_no_data_areas=True)


def layers(fmap: folium.Map) -> dict[str, folium.GeoJson]:
    return {c.layer_name: c for c in fmap._children.values() if isinstance(c, folium.GeoJson)}


def test_areas_without_a_village_list_are_a_grey_layer(quang_la: CoverageView) -> None:
    grey = layers(build_coverage_map(quang_la))[NO_DATA_LAYER].data["features"]
    codes = {f["properties"]["code"] for f in grey}
    # Quảng La: the three predecessors without villages; the other four communes whole.
    assert codes == {
        "07054/07039",
        "07054/07051",
        "07054/07054",
        "06979/06979",
        "06985/06985",
        "07030/07030",
        "07060/07060",
    }
    tan_dan = next(f for f in grey if f["properties"]["code"] == "07054/07039")
    assert "Xã Tân Dân" in tan_dan["properties"]["tooltip"]
    assert "trước 01/07/2025" in tan_dan["properties"]["tooltip"]


def test_commune_tooltips_say_partial_or_no_village_list(quang_la: CoverageView) -> None:
    areas = layers(build_coverage_map(quang_la))[COMMUNE_LAYER].data["features"]
    tips = {f["properties"]["code"]: f["properties"]["tooltip"] for f in areas}
    assert "3/4 thôn có mô hình" in tips["07054"]
    assert "villages known for 1 of 4 source communes" in tips["07054"]
    assert "no village list" in tips["07060"] and "0/0" not in tips["07060"]
    assert "—/—" not in tips["07060"]


def test_summary_and_legend_carry_the_figure(quang_la: CoverageView) -> None:
    html = render_map_html(quang_la, focus_code="22")
    assert 'data-status="partial"' in html
    assert "villages known for 1 of 13 source communes" in html
    assert "1/5 communes listed" in html
    assert 'class="legend-item legend-no-data"' in html


def test_a_focused_commune_lists_where_its_villages_come_from(quang_la: CoverageView) -> None:
    html = render_map_html(quang_la, focus_code="07054")
    panel = html[html.index('<section class="sources">') :]
    panel = panel[: panel.index("</section>")]
    assert panel.count('class="source source-unlisted"') == 3
    assert '<li class="source source-listed" data-code="07057">Xã Bằng Cả' in panel


def test_a_commune_without_villages_shows_no_0_of_0(demo_gpkg: Path) -> None:
    store = open_store(str(demo_gpkg))
    view = coverage_as_of(store, CoveragePolicy(), AFTER, "07060", with_no_data_areas=True)
    html = render_map_html(view, focus_code="07060")
    assert '<span class="big villages-covered">—</span>' in html
    assert 'data-status="no_data"' in html and "counted neither as covered" in html
    assert '<span class="big villages-covered">0/0</span>' not in html


def test_csv_carries_the_figure(client: TestClient) -> None:
    text = client.get(
        "/api/coverage", params={"level": 3, "parent": "24", "format": "csv", "as_of": "2026-01-01"}
    ).text
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    luong_tai = rows["09496"]
    assert luong_tai["data_status"] == "partial"
    assert (luong_tai["source_communes_with_villages"], luong_tai["source_communes_total"]) == (
        "1",
        "3",
    )
    assert (luong_tai["villages_covered"], luong_tai["villages_total"]) == ("8", "8")
    empty = rows["09499"]
    assert empty["data_status"] == "no_data"
    assert (empty["villages_covered"], empty["villages_total"], empty["villages_uncovered"]) == (
        "",
        "",
        "",
    )


def test_the_map_file_greys_them_too(demo_gpkg: Path, tmp_path: Path) -> None:
    output = tmp_path / "quang_la.html"
    command = ["map", "--store", str(demo_gpkg), "--unit", "07054", "--as-of", "2026-01-01"]
    result = CliRunner().invoke(app, [*command, "-o", str(output)])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert html.count('"code": "07054/') == 3 and "no-data-area" in html
