"""Merged cells in XLSX registers and village tables: a commune or village cell merged over
several rows counts for every row, merged titles above the header are not the header, and
the importer is told which ranges were filled.

Workbooks are written with openpyxl (``merge_cells`` empties the covered cells, as Excel
does) and read back through the real readers and the real pipeline into a GeoPackage store.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import shapely

from geo_service.imports import pipeline
from geo_service.imports.options import BoundaryOptions, VillageOptions
from geo_service.ingest.readers.merged_cells import (
    MergedRange,
    fill_down,
    merged_ranges,
    title_rows,
    warn_merged_cells,
)
from geo_service.ingest.readers.spreadsheets import read_workbook
from geo_service.ingest.report import ImportRejected, ValidationReport
from geo_service.ingest.units.boundaries import read_boundaries
from geo_service.store import Store, UnitQuery

AS_OF = date(2024, 1, 1)
SQUARE_A = shapely.box(106.845, 21.095, 106.850, 21.100)  # inside Xã Bằng Cả (07057)
SQUARE_B = shapely.box(106.851, 21.095, 106.856, 21.100)
TITLE = "DANH SÁCH MÔ HÌNH TỰ QUẢN VỀ AN NINH TRẬT TỰ"
HEADER: list[object] = ["STT", "Mã mô hình", "Loại mô hình", "Mã xã", "Thôn/TDP", "Tên tổ",
                        "Ngày ra mắt", "Số thành viên"]  # fmt: skip


def workbook(path: Path, rows: list[list[object]], merges: list[str], title: str = "Sổ") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    book.save(path)
    return path


def rewrite_sheet(path: Path, change: re.Pattern[str], replacement: str) -> None:
    """Edit the first sheet's XML in place, as other spreadsheet tools would have written it."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml, count = change.subn(replacement, parts["xl/worksheets/sheet1.xml"].decode())
    assert count == 1
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def team_sites(store: Store, *model_ids: str) -> dict[str, str]:
    teams = store.teams(model_ids=list(model_ids))
    return dict(zip(teams["team_id"], teams["unit_code"], strict=True))


def register_rows() -> list[list[object]]:
    """A title, a blank line, the header (row 3), then teams whose commune, village, model
    and type are typed once and merged down over the rows they hold for."""
    launched = datetime(2022, 6, 16)
    return [
        [TITLE],
        [],
        HEADER,
        [1, "M1", "patrol_team", "07057", "Thôn 1", "Tổ 1", launched, 5],  # row 4
        [2, None, None, None, None, "Tổ 2", launched, 6],
        [3, None, None, None, None, "Tổ 3", launched, 4],
        [4, "M2", "patrol_team", None, "Thôn 3", "Tổ A", None, 7],  # row 7
        [5, "M2", "patrol_team", None, None, "Tổ B", None, 8],
        [6, "M3", "patrol_team", "09496", "Khu phố 2", "Tổ KP2", None, 3],  # row 9
        [7, "M3", "patrol_team", None, None, "Tổ KP2b", None, 2],
    ]


REGISTER_MERGES = ["A1:H1", "B4:B6", "C4:C6", "D4:D8", "E4:E6", "E7:E8", "D9:D10", "E9:E10"]


# -- registers ---------------------------------------------------------------------------------


def test_register_rows_under_merged_commune_and_village_cells_import_to_their_village(
    demo_store: Store, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "register.xlsx", register_rows(), REGISTER_MERGES)
    outcome = pipeline.import_models(demo_store, path)
    assert outcome.report.ok, outcome.report.summary()
    assert outcome.counts == {"models": 3, "teams": 7}
    assert team_sites(demo_store, "M1", "M2", "M3") == {
        "M1/001": "07057-001",
        "M1/002": "07057-001",
        "M1/003": "07057-001",
        "M2/001": "07057-003",
        "M2/002": "07057-003",
        "M3/001": "09496-002",
        "M3/002": "09496-002",
    }
    models = demo_store.models().set_index("model_id")
    assert models.loc["M1", "members"] == 15 and models.loc["M3", "members"] == 5


def test_without_the_merges_the_same_rows_are_rejected(demo_store: Store, tmp_path: Path) -> None:
    """The cells that merging fills are what a read-only read used to see: empty."""
    path = workbook(tmp_path / "register.xlsx", register_rows(), merges=["A1:H1"])
    before = len(demo_store.imports())
    with pytest.raises(ImportRejected) as caught:
        pipeline.import_models(demo_store, path)
    assert {5, 6} <= {p.row for p in caught.value.report.errors}
    assert len(demo_store.imports()) == before


def test_read_workbook_fills_down_and_reports_each_range(tmp_path: Path) -> None:
    path = workbook(tmp_path / "register.xlsx", register_rows(), REGISTER_MERGES)
    [grid] = read_workbook(path, "register.xlsx")
    rows = dict(grid.rows)
    assert rows[1][0] == TITLE and all(cell is None for cell in rows[1][1:])  # not across
    assert [rows[n][4] for n in range(4, 11)] == ["Thôn 1"] * 3 + ["Thôn 3"] * 2 + ["Khu phố 2"] * 2
    assert [rows[n][3] for n in range(4, 11)] == ["07057"] * 5 + ["09496"] * 2
    assert [f.range.ref for f in grid.merged] == [
        "B4:B6",
        "C4:C6",
        "D4:D8",
        "E4:E6",
        "E7:E8",
        "D9:D10",
        "E9:E10",
    ]
    report = ValidationReport("register.xlsx")
    warn_merged_cells(report.part("register.xlsx [Sổ]"), grid.merged)
    [warning] = [str(p) for p in report.warnings]
    assert warning.startswith(
        "warning: register.xlsx [Sổ], row 4: 7 merged cell(s) were read as their value "
        "repeated on every row they span: B4:B6 ('M1'), C4:C6 ('patrol_team'), "
        "D4:D8 ('07057'), E4:E6 ('Thôn 1')"
    )


def test_the_register_import_warns_about_filled_ranges(demo_store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "register.xlsx", register_rows(), REGISTER_MERGES)
    outcome = pipeline.import_models(demo_store, path)
    warnings = [str(p) for p in outcome.report.warnings]
    assert any(w.startswith("warning: register.xlsx [Sổ], row 4: 7 merged") for w in warnings)


def test_two_row_header_with_cells_merged_down_and_a_group_header_across(
    demo_store: Store, tmp_path: Path
) -> None:
    """'Mã mô hình' merged over both header rows and 'Địa bàn' over 'Mã xã' and 'Thôn/TDP':
    the second row then names every column and is the header; the group header (itself a
    village alias) is not repeated across, which would read as two village columns."""
    rows: list[list[object]] = [
        ["Mã mô hình", "Loại mô hình", "Địa bàn", None, "Tên tổ", "Số thành viên"],
        [None, None, "Mã xã", "Thôn/TDP", None, None],
        ["K1", "patrol_team", "07057", "Thôn 2", "Tổ 1", 5],
        ["K1", "patrol_team", "07057", "Thôn 4", "Tổ 2", 6],
    ]
    merges = ["A1:A2", "B1:B2", "C1:D1", "E1:E2", "F1:F2"]
    path = workbook(tmp_path / "register.xlsx", rows, merges)
    outcome = pipeline.import_models(demo_store, path)
    assert outcome.counts == {"models": 1, "teams": 2}
    assert team_sites(demo_store, "K1") == {"K1/001": "07057-002", "K1/002": "07057-004"}


def test_two_sheet_register_with_merged_model_keys_on_the_teams_sheet(
    demo_store: Store, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    models = book.active
    assert models is not None
    models.title = "Mô hình"
    models.append(["Mã mô hình", "Loại mô hình", "Mã xã"])
    models.append(["P1", "patrol_team", "07057"])
    teams = book.create_sheet("Tổ")
    team_rows: list[list[object]] = [["Mã MH", "Thôn/TDP", "Tên tổ"], ["P1", "Thôn 1", "Tổ 1"]]
    for row in [*team_rows, [None, None, "Tổ 2"]]:
        teams.append(row)
    teams.merge_cells("A2:A3")
    teams.merge_cells("B2:B3")
    book.save(tmp_path / "register.xlsx")
    outcome = pipeline.import_models(demo_store, tmp_path / "register.xlsx")
    assert team_sites(demo_store, "P1") == {"P1/001": "07057-001", "P1/002": "07057-001"}
    assert outcome.counts == {"models": 1, "teams": 2}


# -- boundary and village tables ---------------------------------------------------------------


def test_boundary_xlsx_with_a_merged_title_and_a_commune_merged_over_its_villages(
    demo_store: Store, tmp_path: Path
) -> None:
    rows: list[list[object]] = [
        ["DANH SÁCH THÔN, TỔ DÂN PHỐ"],
        ["ma", "ten", "ma_xa", "WKT"],
        ["07057-901", "Thôn Đông", "07057", SQUARE_A.wkt],
        ["07057-902", "Thôn Tây", None, SQUARE_B.wkt],
    ]
    path = workbook(tmp_path / "ranh_gioi.xlsx", rows, ["A1:D1", "C3:C4"], title="Thôn")
    raw, report = read_boundaries(path)
    assert report.ok, report.summary()
    assert raw.index.tolist() == [3, 4] and raw["ma_xa"].tolist() == ["07057", "07057"]
    merge_warnings = [p for p in report.warnings if p.code.startswith("merged")]
    assert [(p.file, p.row, p.code) for p in merge_warnings] == [
        ("ranh_gioi.xlsx [Thôn]", 3, "merged_cells"),
        ("ranh_gioi.xlsx [Thôn]", 1, "merged_title"),
    ]
    assert "C3:C4 ('07057')" in merge_warnings[0].message
    assert "DANH SÁCH THÔN, TỔ DÂN PHỐ" in merge_warnings[1].message

    outcome = pipeline.import_boundaries(
        demo_store, path, BoundaryOptions(level=4, valid_from=AS_OF)
    )
    assert outcome.report.ok, outcome.report.summary()
    stored = demo_store.units(UnitQuery(as_of=AS_OF, codes=("07057-901", "07057-902")))
    assert dict(zip(stored["code"], stored["parent_code"], strict=True)) == {
        "07057-901": "07057",
        "07057-902": "07057",
    }
    assert any(p.code == "merged_cells" for p in outcome.report.warnings)


def test_village_list_xlsx_with_the_commune_merged_down(demo_store: Store, tmp_path: Path) -> None:
    units = demo_store.units(UnitQuery(as_of=AS_OF))
    with_villages = set(units.loc[units["level"] == 4, "parent_code"])
    commune = sorted(set(units.loc[units["level"] == 3, "code"]) - with_villages)[0]
    rows: list[list[object]] = [
        ["Mã xã", "Tên thôn", "Số hộ"],
        [commune, "Thôn Đông", 120],
        [None, "Thôn Tây", 95],
        [None, "Thôn Nam", 60],
    ]
    path = workbook(tmp_path / "danh_sach.xlsx", rows, ["A2:A4"], title="Danh sách")
    outcome = pipeline.import_villages(demo_store, path, VillageOptions(as_of=AS_OF))
    assert outcome.report.ok, outcome.report.summary()
    villages = demo_store.units(UnitQuery(as_of=AS_OF))
    listed = villages[villages["parent_code"] == commune]
    assert sorted(listed["name"]) == ["Thôn Nam", "Thôn Tây", "Thôn Đông"]
    [merged] = [p for p in outcome.report.warnings if p.code == "merged_cells"]
    assert merged.file == "danh_sach.xlsx [Danh sách]" and "A2:A4" in merged.message


# -- reading the ranges --------------------------------------------------------------------------


def test_a_sheet_that_mentions_mergecell_in_its_rows_is_parsed_whole(tmp_path: Path) -> None:
    """The shortcut (parse from the first mention of 'mergeCell') must not miss ranges
    when the word first appears inside the rows, e.g. as inline text."""
    path = workbook(tmp_path / "a.xlsx", [["Tên"], ["Thôn 1"], [None]], ["A2:A3"])
    rewrite_sheet(
        path,
        re.compile(r'<c r="A1"[^>]*>.*?</c>'),
        '<c r="A1" t="inlineStr"><is><t>mergeCell note</t></is></c>',
    )
    assert merged_ranges(path, "a.xlsx") == {"Sổ": [MergedRange("A2:A3", 2, 1, 3, 1)]}
    [grid] = read_workbook(path, "a.xlsx")
    assert grid.rows == [(1, ["mergeCell note"]), (2, ["Thôn 1"]), (3, ["Thôn 1"])]


def test_a_sheet_with_a_dtd_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "a.xlsx", [["Tên"], ["Thôn 1"], [None]], ["A2:A3"])
    rewrite_sheet(
        path, re.compile(r"^<worksheet"), '<!DOCTYPE worksheet [<!ENTITY a "aaaa">]><worksheet'
    )
    with pytest.raises(ImportRejected) as caught:
        merged_ranges(path, "a.xlsx")
    [problem] = caught.value.report.errors
    assert problem.file == "a.xlsx" and "DTD" in problem.message


def test_fill_down_stays_within_the_rows_read_and_pads_short_rows() -> None:
    rows: list[tuple[int, list[object]]] = [(1, ["a", None, "x"]), (2, []), (3, ["b"])]
    whole_column = MergedRange("C1:C1048576", 1, 3, 1_048_576, 3)
    overlapping = MergedRange("C2:C3", 2, 3, 3, 3)  # Excel never writes it: ignored
    filled = fill_down(rows, [whole_column, overlapping])
    assert [f.range.ref for f in filled] == ["C1:C1048576"]
    assert rows == [(1, ["a", None, "x"]), (2, [None, None, "x"]), (3, ["b", None, "x"])]


def test_only_leading_rows_of_cells_merged_across_are_titles() -> None:
    ranges = [MergedRange("A1:D1", 1, 1, 1, 4), MergedRange("E1:H2", 1, 5, 2, 8)]
    rows: list[tuple[int, list[object]]] = [
        (1, ["UBND XÃ", None, None, None, "CỘNG HÒA"]),
        (2, [" ", None, None, None, "CỘNG HÒA"]),
        (3, ["Mã", "Tên", None, None, None]),
    ]
    assert title_rows(rows, ranges) == [1, 2]
    assert title_rows(rows[2:], ranges) == []
