"""Retired units lead to their successors (issue 10, item 7): search, unit lookup, the map
page and the CLI all say what became of a unit a reform ended, from the demo's lineage."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.coverage.unit_fate import (
    MERGED,
    NOT_YET,
    RENAMED,
    SPLIT,
    UNKNOWN,
    UnitFate,
    UnitRef,
    fate_of,
    unit_fate,
)
from geo_service.store import Store
from tests.paths import REPO_ROOT

TODAY = "2026-01-01"
BEFORE = "2025-06-30"
QUANG_LA = {"code": "07054", "name": "Xã Quảng La", "unit_type": "xa"}
THIEU_HOA_SUCCESSORS = [
    {"code": "15772", "name": "Xã Thiệu Hoá", "unit_type": "xa"},
    {"code": "15796", "name": "Xã Thiệu Quang", "unit_type": "xa"},
    {"code": "15835", "name": "Xã Thiệu Trung", "unit_type": "xa"},
]


def one_line(text: str) -> str:
    return " ".join(text.split())


# -- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "code", "name", "successors"),
    [
        ("thua", "09496", "Thị trấn Thứa", [{"code": "09496", "name": "Xã Lương Tài"}]),
        ("bang ca", "07057", "Xã Bằng Cả", [{"code": "07054", "name": "Xã Quảng La"}]),
    ],
)
def test_search_finds_retired_units_with_dates_and_successors(
    client: TestClient, q: str, code: str, name: str, successors: list[dict[str, str]]
) -> None:
    body = client.get("/api/units", params={"q": q, "as_of": TODAY}).json()
    assert body["count"] == 1
    (unit,) = body["units"]
    assert (unit["code"], unit["name"], unit["retired"]) == (code, name, True)
    assert (unit["valid_from"], unit["valid_to"]) == (None, "2025-07-01")
    assert [{k: s[k] for k in ("code", "name")} for s in unit["successors"]] == successors
    assert unit["has_geometry"] is True


def test_search_lists_every_successor_of_a_split_unit(client: TestClient) -> None:
    units = client.get("/api/units", params={"q": "thieu hoa", "as_of": TODAY}).json()["units"]
    by_name = {u["name"]: u for u in units}
    assert by_name["Xã Thiệu Hoá"]["retired"] is False  # the new commune keeping the code
    assert by_name["Xã Thiệu Hoá"]["successors"] == []
    town = by_name["Thị trấn Thiệu Hoá"]
    assert town["retired"] is True and town["successors"] == THIEU_HOA_SUCCESSORS
    assert by_name["Huyện Thiệu Hoá"]["successors"] == []  # districts were abolished


def test_search_before_the_reform_shows_no_retired_unit(client: TestClient) -> None:
    body = client.get("/api/units", params={"q": "thua", "as_of": BEFORE}).json()
    assert [(u["name"], u["retired"]) for u in body["units"]] == [("Thị trấn Thứa", False)]


def test_a_village_carried_into_its_new_commune_is_not_listed_as_retired(
    client: TestClient,
) -> None:
    body = client.get("/api/units", params={"q": "tieu khu 12", "as_of": TODAY}).json()
    assert [(u["code"], u["parent_code"], u["retired"]) for u in body["units"]] == [
        ("15772-012", "15835", False)
    ]


# -- unit lookup and coverage by a retired code -------------------------------------------------


def test_unit_lookup_of_a_retired_code_names_its_successor(client: TestClient) -> None:
    response = client.get("/api/units/07057", params={"as_of": TODAY})
    assert response.status_code == 404
    body = response.json()
    assert body["detail"] == (
        "07057 (Xã Bằng Cả) was merged into 07054 (Xã Quảng La) on 2025-07-01; "
        "use as_of=2025-06-30 for its own figures"
    )
    assert body["unit"]["change"] == MERGED and body["unit"]["successors"] == [QUANG_LA]
    assert body["unit"]["own_day"] == BEFORE


def test_coverage_under_a_retired_parent_says_where_it_went(client: TestClient) -> None:
    for route in ("/api/coverage", "/api/gaps"):
        response = client.get(route, params={"parent": "07057", "as_of": TODAY})
        assert response.status_code == 404
        assert "merged into 07054 (Xã Quảng La)" in response.json()["detail"]


# -- the map page ------------------------------------------------------------------------------


def test_map_page_of_a_retired_unit_links_its_successor_and_its_own_figures(
    client: TestClient,
) -> None:
    response = client.get("/", params={"unit": "07057"})
    assert response.status_code == 404
    html = response.text
    assert "Xã Bằng Cả (07057) đã được sáp nhập vào Xã Quảng La (07054)" in html
    assert '<a class="successor" data-code="07054" href="./?unit=07054">Xã Quảng La</a>' in html
    own = re.search(r'<a class="own-figures" href="([^"]+)"', html)
    assert own is not None and own.group(1) == "./?unit=07057&amp;as_of=2025-06-30"
    # The links work: the successor's map today, and Bằng Cả's own map on its last day.
    assert client.get("/", params={"unit": "07054"}).status_code == 200
    assert client.get("/", params={"unit": "07057", "as_of": BEFORE}).status_code == 200


def test_map_page_of_a_split_unit_links_every_successor_on_the_asked_date(
    client: TestClient,
) -> None:
    # Xã Thiệu Long (15793) was split between Xã Thiệu Hoá (15772) and Xã Định Hoà (15448).
    html = client.get("/", params={"unit": "15793", "as_of": TODAY}).text
    assert (
        '<a class="successor" data-code="15772" href="./?unit=15772&amp;as_of=2026-01-01">' in html
    )
    assert 'data-code="15448"' in html
    assert "đã được chia tách thành" in html


def test_map_page_of_a_unit_not_yet_formed_links_its_first_day(client: TestClient) -> None:
    response = client.get("/", params={"unit": "06979", "as_of": BEFORE})
    assert response.status_code == 404
    assert "06979 (Xã Kỳ Thượng) starts on 2025-07-01" in response.text
    assert 'href="./?unit=06979&amp;as_of=2025-07-01"' in response.text


def test_map_page_answers_json_clients_with_the_fate(client: TestClient) -> None:
    response = client.get("/", params={"unit": "07057"}, headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["unit"]["successors"] == [QUANG_LA]


def test_the_notice_page_is_a_template_that_escapes_data(client: TestClient) -> None:
    response = client.get("/", params={"unit": "<script>x</script>", "as_of": BEFORE})
    assert response.status_code == 404
    assert "<script>x" not in response.text and "&lt;script&gt;x" in response.text
    template = REPO_ROOT / "geo_service" / "web" / "templates" / "notice.html"
    assert template.is_file()


# -- the CLI -----------------------------------------------------------------------------------


def test_cli_names_the_successor_of_a_retired_unit(demo_gpkg: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unused = tmp_path / "unused.html"
    for command in (["coverage"], ["map", "-o", str(unused)]):
        result = runner.invoke(
            app, [*command, "--store", str(demo_gpkg), "--unit", "07057", "--as-of", TODAY]
        )
        assert result.exit_code == 2
        assert one_line(result.output) == (
            "error: 07057 (Xã Bằng Cả) was merged into 07054 (Xã Quảng La) on 2025-07-01; "
            "use --as-of 2025-06-30 for its own figures"
        )
    assert not unused.exists()


def test_cli_lists_all_successors_of_a_split_unit(demo_gpkg: Path) -> None:
    result = CliRunner().invoke(
        app, ["coverage", "--store", str(demo_gpkg), "--unit", "09616", "--as-of", TODAY]
    )
    assert result.exit_code == 0  # 09616 stands today as Xã Đoài Phương
    result = CliRunner().invoke(
        app, ["coverage", "--store", str(demo_gpkg), "--unit", "09586", "--as-of", TODAY]
    )
    assert result.exit_code == 2
    assert one_line(result.output) == (
        "error: 09586 (Phường Sơn Lộc) was split on 2025-07-01 into 09574 (Phường Sơn Tây) "
        "and 09604 (Phường Tùng Thiện); use --as-of 2025-06-30 for its own figures"
    )


# -- the rule itself ---------------------------------------------------------------------------


def test_fates_from_the_demo_store(demo_store: Store) -> None:
    today = date.fromisoformat(TODAY)
    merged = unit_fate(demo_store, "07057", today)
    assert merged.change == MERGED and merged.successors == (UnitRef("07054", "Xã Quảng La", "xa"),)
    renamed = unit_fate(demo_store, "07033", today)
    assert renamed.change == RENAMED
    assert renamed.sentence() == "07033 (Xã Kỳ Thượng) became 06979 (Xã Kỳ Thượng) on 2025-07-01"
    assert unit_fate(demo_store, "06979", date.fromisoformat(BEFORE)).change == NOT_YET
    unknown = unit_fate(demo_store, "99999", today)
    assert unknown.change == UNKNOWN and unknown.own_day is None
    assert unknown.message() == "no unit with code '99999' on 2026-01-01"


def test_a_unit_reformed_twice_leads_to_the_unit_standing_now() -> None:
    rows = pd.DataFrame(
        [
            ("A", "Xã A", "xa", 3, None, "2025-07-01"),
            ("B", "Xã B", "xa", 3, "2025-07-01", "2027-01-01"),
            ("C", "Xã C", "xa", 3, "2027-01-01", None),
            ("D", "Xã D", "xa", 3, "2027-01-01", None),
        ],
        columns=["code", "name", "unit_type", "level", "valid_from", "valid_to"],
    )
    lineage = pd.DataFrame(
        {
            "old_code": ["A", "B", "B"],
            "new_code": ["B", "C", "D"],
            "kind": ["full", "partial", "partial"],
            "effective": ["2025-07-01", "2027-01-01", "2027-01-01"],
        }
    )
    fate = fate_of("A", date(2028, 1, 1), rows, lineage)
    assert [s.code for s in fate.successors] == ["C", "D"] and fate.change == SPLIT
    assert fate.own_day == date(2025, 6, 30)
    on_the_way = fate_of("A", date(2026, 1, 1), rows, lineage)
    assert on_the_way.change == RENAMED and on_the_way.successors == (UnitRef("B", "Xã B", "xa"),)
    assert isinstance(on_the_way, UnitFate)
