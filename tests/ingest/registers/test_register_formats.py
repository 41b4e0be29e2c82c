"""Registers as communes keep them: XLSX with one or two sheets, typed Excel cells, title
rows, Vietnamese and English headers, Vietnamese dates and numbers, legacy encodings."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from geo_service.imports.pipeline import import_models
from geo_service.ingest.readers.cells import Formula, parse_count, parse_date
from geo_service.ingest.report import ImportRejected, ValidationReport
from geo_service.store import Store
from geo_service.text.legacy_encodings import _TCVN3_LEGACY, _TCVN3_UNICODE, _VNI_TABLE
from tests.workbooks import with_saved_result, workbook

# --- files ----------------------------------------------------------------------------------


def rejected(store: Store, path: Path) -> list[str]:
    before = (len(store.models()), len(store.teams()), len(store.imports()))
    with pytest.raises(ImportRejected) as caught:
        import_models(store, path)
    assert (len(store.models()), len(store.teams()), len(store.imports())) == before
    return [str(p) for p in caught.value.report.errors]


def team_sites(store: Store, *model_ids: str) -> dict[str, str]:
    teams = store.teams(model_ids=list(model_ids))
    return dict(zip(teams["team_id"], teams["unit_code"], strict=True))


HEADER = ["STT", "Mã mô hình", "Loại mô hình", "Mã xã", "Thôn/TDP", "Tên tổ", "Ngày ra mắt",
          "Số thành viên"]  # fmt: skip


# --- one sheet ------------------------------------------------------------------------------


def test_one_sheet_with_title_rows_and_typed_cells(demo_store: Store, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "register.xlsx",
        {
            "Danh sách": [
                ["DANH SÁCH MÔ HÌNH TỰ QUẢN"],
                ["(kèm theo Báo cáo số 12/BC-CAX)"],
                HEADER,
                [1, "X1", "patrol_team", 7057, "Thôn 1", "Tổ 1", datetime(2022, 6, 16), 9],
                [2, "X1", "patrol_team", 7057, "Thôn 2", "Tổ 2", None, 7.0],
                [3, "X2", "Tổ tuần tra nhân dân", "09496", "KP 3", "Tổ KP3", 44728, "1.250"],
            ],
            "Hướng dẫn": [["Điền mỗi tổ một dòng"]],
        },
    )
    outcome = import_models(demo_store, path)
    assert outcome.counts == {"models": 2, "teams": 3}
    assert team_sites(demo_store, "X1", "X2") == {
        "X1/001": "07057-001",
        "X1/002": "07057-002",
        "X2/001": "09496-003",
    }
    models = demo_store.models().set_index("model_id")
    assert models.loc["X1", "launch_date"] == date(2022, 6, 16)
    assert models.loc["X2", "launch_date"] == date(2022, 6, 16)  # an Excel serial in a number cell
    assert (models.loc["X1", "members"], models.loc["X2", "members"]) == (16, 1250)
    warnings = [str(p) for p in outcome.report.warnings]
    assert "warning: register.xlsx: sheet 'Hướng dẫn' is not part of the register; ignored" in (
        warnings
    )


def test_sheet_problems_name_file_sheet_row_and_field(demo_store: Store, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "register.xlsx",
        {"Sổ": [["Sổ theo dõi mô hình"], HEADER, [1, "X1", "patrol_team", "07057", "Thôn 1",
                                                "Tổ 1", "31/02/2022", "mười"]]},
    )  # fmt: skip
    errors = rejected(demo_store, path)
    assert errors == [
        "error: register.xlsx [Sổ], row 3, field 'Ngày ra mắt': '31/02/2022' is not a valid "
        "day/month/year date: day is out of range for month",
        "error: register.xlsx [Sổ], row 3, field 'Số thành viên': 'mười' is not a whole number",
    ]


def test_formula_in_a_text_cell_is_refused_even_with_a_saved_result(
    demo_store: Store, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "register.xlsx",
        {"Sổ": [HEADER, [1, "X1", "patrol_team", "07057", "Thôn 1",
                         '=HYPERLINK("http://evil.example","Tổ 1")', None, "=3+4"]]},
    )  # fmt: skip
    with_saved_result(path, "F2", "Tổ 1", text=True)
    with_saved_result(path, "H2", "7")
    errors = rejected(demo_store, path)
    assert len(errors) == 1
    assert errors[0].startswith("error: register.xlsx [Sổ], row 2, field 'Tên tổ': '=HYPERLINK(")
    assert "formula" in errors[0]


def test_a_number_formula_counts_with_its_saved_result(demo_store: Store, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "register.xlsx",
        {"Sổ": [HEADER, [1, "X1", "patrol_team", "07057", "Thôn 1", "Tổ 1", None, "=3+4"]]},
    )
    with_saved_result(path, "H2", "7")
    import_models(demo_store, path)
    assert demo_store.teams(model_ids=["X1"])["members"].tolist() == [7]


def test_a_formula_without_a_saved_result_is_refused(demo_store: Store, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "register.xlsx",
        {"Sổ": [HEADER, [1, "X1", "patrol_team", "07057", "Thôn 1", "Tổ 1", None, "=3+4"]]},
    )
    errors = rejected(demo_store, path)
    assert errors[0].startswith("error: register.xlsx [Sổ], row 2, field 'Số thành viên'")
    assert "no saved result" in errors[0]


def test_several_register_sheets_must_be_named(demo_store: Store, tmp_path: Path) -> None:
    rows = [HEADER, [1, "X1", "patrol_team", "07057", "Thôn 1", "Tổ 1", None, 3]]
    path = workbook(tmp_path / "register.xlsx", {"2023": rows, "2024": rows})
    errors = rejected(demo_store, path)
    assert errors == [
        "error: register.xlsx: several sheets look like registers ('2023', '2024'); keep one, "
        "or name them 'Mô hình' (models) and 'Tổ' (teams)"
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"PK\x03\x04 not really a zip", "not an Excel .xlsx file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "not an Excel .xlsx file"),
        (b"", "the file is empty"),
    ],
)
def test_unreadable_workbooks_are_refused(
    demo_store: Store, tmp_path: Path, data: bytes, words: str
) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(data)
    errors = rejected(demo_store, path)
    assert errors[0].startswith("error: register.xlsx: ") and words in errors[0]


def test_old_xls_is_refused_with_advice(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "register.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert "save the workbook as .xlsx" in rejected(demo_store, path)[0]


# --- models sheet + teams sheet ---------------------------------------------------------------

MODELS = [["Mã mô hình", "Loại mô hình", "Tên mô hình", "Mã xã", "Ngày ra mắt", "Số thành viên"],
          ["P1", "patrol_team", "Tổ tuần tra Bằng Cả", "07057", "ngày 16 tháng 6 năm 2022", None],
          ["P2", "grassroots_security", "An ninh cơ sở", "07057", None, 30]]  # fmt: skip
TEAMS = [["Mã MH", "Thôn, tổ dân phố", "Tên tổ", "Số lượng thành viên (người)"],
         ["P1", "Thôn Một", "Tổ 1", "5 người"],
         ["P1", "thon IV", "Tổ 4", 6]]  # fmt: skip


def test_models_and_teams_sheets(demo_store: Store, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "register.xlsx", {"Mô hình": MODELS, "To": TEAMS, "Ghi chú": [["x"]]}
    )
    outcome = import_models(demo_store, path)
    assert outcome.counts == {"models": 2, "teams": 2}
    assert team_sites(demo_store, "P1", "P2") == {"P1/001": "07057-001", "P1/002": "07057-004"}
    models = demo_store.models().set_index("model_id")
    assert models.loc["P1", "launch_date"] == date(2022, 6, 16)
    assert models.loc["P1", "members"] == 11  # the sum over its teams
    assert models.loc["P2", "members"] == 30  # no teams: the models sheet's figure
    assert [str(p) for p in outcome.report.warnings] == [
        "warning: register.xlsx: sheet 'Ghi chú' is not part of the register; ignored"
    ]


def test_teams_sheet_problems_name_the_sheet(demo_store: Store, tmp_path: Path) -> None:
    teams = [*TEAMS, ["P9", "Thôn 2", "Tổ 2", 3], ["P1", "Thôn 9", "Tổ 9", 2]]
    models = [*MODELS, ["P2", "patrol_team", "again", "07057", None, None]]
    path = workbook(tmp_path / "register.xlsx", {"Mô hình": models, "Tổ": teams})
    errors = rejected(demo_store, path)
    assert errors[0] == (
        "error: register.xlsx [Mô hình], row 4, field 'Mã mô hình': model 'P2' is already on "
        "row 3; a model has one row on the models sheet"
    )
    assert errors[1] == (
        "error: register.xlsx [Tổ], row 4, field 'Mã MH': model 'P9' is not on the models sheet"
    )
    assert errors[2].startswith(
        "error: register.xlsx [Tổ], row 5, field 'Thôn, tổ dân phố': no village in commune "
        "07057 (Xã Bằng Cả) named 'Thôn 9'"
    )


def test_model_total_that_disagrees_with_its_teams_is_pointed_out(
    demo_store: Store, tmp_path: Path
) -> None:
    models = [MODELS[0], [*MODELS[1][:5], 99]]
    path = workbook(tmp_path / "register.xlsx", {"Mô hình": models, "Tổ": TEAMS})
    outcome = import_models(demo_store, path)
    assert demo_store.models().set_index("model_id").loc["P1", "members"] == 11
    assert any(
        "[Mô hình], row 2, field 'Số thành viên'" in str(p) and "99 differs" in str(p)
        for p in outcome.report.warnings
    )


# --- headers ----------------------------------------------------------------------------------


def test_english_headers_and_unknown_columns(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text(
        "No.,model_id,model_type,commune_code,village,launch_date,members,Remarks\n"
        "1,E1,patrol_team,07057,Thon 2,2023-01-05,4,ok\n",
        encoding="utf-8",
    )
    outcome = import_models(demo_store, path)
    assert team_sites(demo_store, "E1") == {"E1/001": "07057-002"}
    assert [str(p) for p in outcome.report.warnings] == [
        "warning: register.csv, row 1, field 'Remarks': not a register column; ignored"
    ]


def test_headers_without_accents_with_notes_and_semicolons(
    demo_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "register.csv"
    path.write_text(
        "So TT;MA MO HINH;loai mo hinh;ma xa;thon/tdp;so thanh vien (nguoi);so ho (ho)\n"
        "1;S1;patrol_team;07057;Thôn 3;1.250;24 hộ\n",
        encoding="utf-8",
    )
    import_models(demo_store, path)
    teams = demo_store.teams(model_ids=["S1"])
    assert teams[["unit_code", "members", "households"]].values.tolist() == [
        ["07057-003", 1250, 24]
    ]


# --- cells ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("16/6/2022", date(2022, 6, 16)),
        ("16/06/2022", date(2022, 6, 16)),
        ("16-6-2022", date(2022, 6, 16)),
        ("16.06.2022", date(2022, 6, 16)),
        ("2022-06-16", date(2022, 6, 16)),
        ("16/06/2022 00:00:00", date(2022, 6, 16)),
        ("ngày 16 tháng 6 năm 2022", date(2022, 6, 16)),
        ("Ngày 16 tháng 06 năm 2022", date(2022, 6, 16)),
        ("ngay 16 thang 6 nam 2022", date(2022, 6, 16)),
        ("44728", date(2022, 6, 16)),
        (44728, date(2022, 6, 16)),
        (datetime(2022, 6, 16, 0, 0), date(2022, 6, 16)),
        (Formula("=DATE(2022,6,16)", datetime(2022, 6, 16)), date(2022, 6, 16)),
        ("", None),
    ],
)
def test_dates_as_registers_write_them(written: object, day: date | None) -> None:
    assert parse_date(written) == day  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("16/06/22", "two-digit year"),
        ("6/16/2022", "not a valid day/month/year date"),
        ("tháng 6/2022", "not a date"),
        (12, "Excel date serial"),
        (44728.5, "Excel date serial"),
    ],
)
def test_ambiguous_or_impossible_dates_are_refused(written: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_date(written)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "count"),
    [
        ("1.250", 1250),
        ("1,250", 1250),
        ("1 250", 1250),
        ("12 người", 12),
        ("24 hộ", 24),
        ("3 camera", 3),
        ("12.0", 12),
        (12.0, 12),
        (7, 7),
        ("-", None),
        ("", None),
        (None, None),
    ],
)
def test_counts_as_registers_write_them(written: object, count: int | None) -> None:
    assert parse_count(written) == count  # type: ignore[arg-type]


@pytest.mark.parametrize("written", ["12.5", "1.25", "-3", "12 con gà", "mười", 2.5, -1, True])
def test_what_is_not_a_whole_number_is_refused(written: object) -> None:
    with pytest.raises(ValueError, match="not a whole number"):
        parse_count(written)  # type: ignore[arg-type]


# --- legacy encodings -------------------------------------------------------------------------

UNICODE_REGISTER = (
    "Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Tên tổ,Trạng thái,Số thành viên\n"
    "L1,patrol_team,07057,Thôn 1,Tổ tuần tra thôn một,Hoạt động,12 người\n"
    "L2,inter_household_group,09595,Tổ dân phố 4 Tiền Huân,Tổ liên gia,Hoạt động,8\n"
)
_TO_TCVN3 = str.maketrans(_TCVN3_UNICODE, _TCVN3_LEGACY)


def _to_vni(text: str) -> str:
    inverse: dict[str, str] = {}
    for sequence, letter in sorted(_VNI_TABLE.items(), key=lambda item: len(item[0])):
        fits_case = sequence == (sequence.lower() if letter.islower() else sequence.upper())
        if letter not in inverse or (fits_case and len(sequence) <= len(inverse[letter])):
            inverse.setdefault(letter, sequence)
            if fits_case:
                inverse[letter] = sequence
    return "".join(inverse.get(char, char) for char in text)


def _to_cp1258(text: str) -> bytes:
    """As Windows writes cp1258: the base letter, then a combining tone mark."""
    import unicodedata

    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tone = "".join(c for c in parts if c in tones)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append((base + tone).encode("cp1258"))
    return b"".join(out)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (UNICODE_REGISTER.translate(_TO_TCVN3).encode("latin-1"), "TCVN3 (ABC)"),
        (_to_vni(UNICODE_REGISTER).encode("cp1252"), "VNI-Windows"),
        (_to_cp1258(UNICODE_REGISTER), "Windows-1258"),
    ],
)
def test_legacy_encoded_registers_import_with_a_warning(
    demo_store: Store, tmp_path: Path, data: bytes, name: str
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(data)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    outcome = import_models(demo_store, path)
    assert team_sites(demo_store, "L1", "L2") == {"L1/001": "07057-001", "L2/001": "09595-007"}
    teams = demo_store.teams(model_ids=["L1"])
    assert teams["name"].tolist() == ["Tổ tuần tra thôn một"]
    assert [str(p) for p in outcome.report.warnings] == [
        f"warning: register.csv, row 1: the file is not UTF-8: it was read as {name} and "
        "converted to Unicode; check the names, and save as 'CSV UTF-8' next time"
    ]


def test_western_code_page_that_lost_letters_is_refused(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(UNICODE_REGISTER.encode("cp1252", errors="replace"))
    errors = rejected(demo_store, path)
    assert len(errors) == 1
    assert errors[0].startswith("error: register.csv, row 1: the file is not UTF-8, and ")
    assert "letters were lost" in errors[0]


def test_bytes_that_no_encoding_reads_are_refused_at_their_row(
    demo_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(
        UNICODE_REGISTER.encode("utf-8") + "L3,patrol_team,07057,Thôn 2,".encode()
        + bytes([0xC3, 0x28, 0x8F, 0xFE, 0xFF]) + b",,,\n"
    )  # fmt: skip
    errors = rejected(demo_store, path)
    assert errors == [
        "error: register.csv, row 4: the file is not UTF-8 (it looks like a legacy Vietnamese "
        "encoding such as Windows-1258, TCVN3 or VNI); save it as 'CSV UTF-8' and import again"
    ]


def test_legacy_font_text_saved_as_utf8_is_decoded_per_column(
    demo_store: Store, tmp_path: Path
) -> None:
    lines = UNICODE_REGISTER.splitlines()
    typed_in_vni = lines[1].replace("Tổ tuần tra thôn một", _to_vni("Tổ tuần tra thôn một"))
    path = tmp_path / "register.csv"
    path.write_text("\n".join([lines[0], typed_in_vni, lines[2]]) + "\n", encoding="utf-8")
    outcome = import_models(demo_store, path)
    assert demo_store.teams(model_ids=["L1"])["name"].tolist() == ["Tổ tuần tra thôn một"]
    assert [str(p) for p in outcome.report.warnings] == [
        "warning: register.csv, row 2, field 'Tên tổ': 1 cell(s) of this column were typed in "
        "VNI-Windows (a legacy font) and were converted to Unicode; check them"
    ]


def test_workbook_typed_in_a_tcvn3_font(demo_store: Store, tmp_path: Path) -> None:
    rows = [line.split(",") for line in UNICODE_REGISTER.translate(_TO_TCVN3).splitlines()]
    path = workbook(tmp_path / "register.xlsx", {"Sổ": rows})
    outcome = import_models(demo_store, path)
    assert team_sites(demo_store, "L1", "L2") == {"L1/001": "07057-001", "L2/001": "09595-007"}
    warnings = [str(p) for p in outcome.report.warnings]
    assert warnings[0] == (
        "warning: register.xlsx [Sổ], row 1: the headers were typed in TCVN3 (ABC) (a legacy "
        "font); they were converted to Unicode"
    )
    assert any("field 'Thôn/TDP'" in w and "TCVN3" in w for w in warnings)


def test_a_report_for_a_sheet_keeps_the_sheet_in_the_file_name() -> None:
    report = ValidationReport("register.xlsx")
    report.part("register.xlsx [Tổ]").error("x", row=7, field="Số thành viên")
    assert str(report.problems[0]) == ("error: register.xlsx [Tổ], row 7, field 'Số thành viên': x")
