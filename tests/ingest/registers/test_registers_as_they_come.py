"""Registers as communes keep them (issue 13): no ID column, free type names, one review
round-trip through the command line, and the bad inputs of that workflow."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.imports.pipeline import import_models
from geo_service.ingest.registers.match_report import MatchReport
from geo_service.ingest.report import ImportRejected
from geo_service.store import Store, open_store
from tests.paths import TEST_DATA

POLICE = TEST_DATA / "registers" / "district_police_register.csv"
# What a person chooses on the review round-trip (the template's given_name -> code, reason).
REVIEWED = {
    "Xã Bằng Kả": ("07057", ""),
    "Lê Lợi": ("07066", ""),
    "Tổ tuần tra và camera an ninh": ("patrol_team", ""),
    "Câu lạc bộ phụ nữ": ("-", "not a security model (a women's club)"),
}
# Register row -> (commune, village or None, type) it must land in; row 14 is skipped.
EXPECTED = {
    2: ("09496", "Khu phố 1", "patrol_team"),
    3: ("09496", "Khu phố 2", "patrol_team"),
    4: ("09496", "Khu phố 3", "patrol_team"),
    5: ("07057", "Thôn 1", "self_managed_group"),
    6: ("07057", "Thôn 1", "fire_safe_area"),
    7: ("07057", "Thôn 2", "security_camera"),
    8: ("09595", "Tổ dân phố 4 Tiền Huân", "inter_household_group"),
    9: ("15772", "Tiểu khu 3", "street_protection_team"),
    10: ("19357", "Khu phố 2", "drug_free_area"),
    11: ("07057", "Thôn 3", "self_managed_group"),
    12: ("07066", None, "patrol_team"),
    13: ("07057", "Thôn 4", "patrol_team"),
}
runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def fill_template(template: Path) -> None:
    with template.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        row["code"], row["reason"] = REVIEWED[row["given_name"]]
    with template.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def reviewed_mapping(store: Path, folder: Path) -> Path:
    template = folder / "review.csv"
    code, output = cli(
        "import", "models", str(POLICE), "--store", str(store), "--dry-run",
        "--mapping-template", str(template),
    )  # fmt: skip
    assert code == 2, output
    assert "13 rows — 9 matched, 2 unmatched, 2 ambiguous" in " ".join(output.split())
    fill_template(template)
    return template


def test_a_register_as_communes_keep_it_imports_after_one_review(
    demo_copy_path: Path, tmp_path: Path
) -> None:
    template = reviewed_mapping(demo_copy_path, tmp_path)
    code, output = cli(
        "import", "models", str(POLICE), "--store", str(demo_copy_path), "--mapping", str(template)
    )
    assert code == 0, output
    store = open_store(str(demo_copy_path))
    units = store.units()
    names = dict(zip(units["code"], units["name"], strict=False))
    imported = store.models(unit_codes=sorted({c for c, _, _ in EXPECTED.values()}))
    imported = imported[~imported["model_id"].isin(open_models_of_demo(store))]
    assert len(imported) == 10  # rows 2-4 are one model (three sites); row 14 skipped
    teams = store.teams(model_ids=imported["model_id"].tolist())
    by_model = imported.set_index("model_id")
    placed = []
    for team in teams.itertuples():
        model = by_model.loc[team.model_id]
        village = None if team.unit_code == model["unit_code"] else names[team.unit_code]
        placed.append((model["unit_code"], village, model["type_code"], team.members))
    expected = [(c, v, t) for c, v, t in EXPECTED.values()]
    assert sorted(p[:3] for p in placed) == sorted(expected)  # zero wrong matches
    assert (("07057", "Thôn 1", "fire_safe_area", 1250)) in placed  # "1.250" members
    thua = imported[imported["unit_code"] == "09496"].iloc[0]
    assert thua["launch_date"].isoformat() == "2022-06-16" and thua["members"] == 20
    assert thua["model_id"].startswith("09496-patrol_team-")
    log = store.imports().iloc[-1]
    assert log["notes"] == [
        "district_police_register.csv, row 14: row skipped: type 'Câu lạc bộ phụ nữ' marked "
        "'-' (skip on purpose) in review.csv, row 5: not a security model (a women's club)"
    ]
    code, output = cli("imports", "list", "--store", str(demo_copy_path))
    assert "not a security model" in output
    # The same register again: every model is the same model, nothing changes.
    code, output = cli(
        "import", "models", str(POLICE), "--store", str(demo_copy_path), "--mapping", str(template)
    )
    assert code == 0 and "nothing to change" in output, output


def open_models_of_demo(store: Store) -> list[str]:
    """The demo register's models (they carry "Mã mô hình" keys without the derived form)."""
    ids = store.models()["model_id"]
    return ids[~ids.str.contains(r"^\d{5}-[a-z_]+-[0-9a-f]{8}$")].tolist()


def test_a_corrected_row_updates_its_model_in_place(demo_store: Store, tmp_path: Path) -> None:
    header = "Xã/Phường,Huyện,Loại mô hình,Tên mô hình,Thôn/TDP,Số thành viên,Ngày ra mắt\n"
    path = tmp_path / "register.csv"
    path.write_text(header + "Bằng Cả,Hoành Bồ,Tổ tuần tra,Tổ tuần tra thôn 4,Thôn 4,9,1/3/2024\n")
    import_models(demo_store, path)
    first = demo_store.models().set_index("name").loc["Tổ tuần tra thôn 4"]
    path.write_text(
        header + "Bằng Cả,Hoành Bồ,tổ TUẦN tra,Tổ tuần  tra thôn 4,Thôn 4,11,01/03/2024\n"
    )
    outcome = import_models(demo_store, path)
    assert outcome.changes["models"].updated == 1 and outcome.changes["models"].new == 0
    again = demo_store.models().set_index("name").loc["Tổ tuần tra thôn 4"]
    assert again["model_id"] == first["model_id"] and again["members"] == 11


def test_registers_with_model_ids_keep_their_ids(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text(
        "Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP\nK-1,Tổ tuần tra nhân dân thôn 4,07057,Thôn 4\n"
    )
    import_models(demo_store, path)
    assert demo_store.models(model_ids=["K-1"])["type_code"].tolist() == ["patrol_team"]


def test_province_of_two_boundary_versions_is_settled_below_then_by_date(
    demo_store: Store, tmp_path: Path
) -> None:
    # "Tỉnh Bắc Ninh" is 27 before the 2025 reform and 24 after; both hold a "Xã Trung
    # Kênh" (09502 before, 09499 after): the launch date settles it.
    path = tmp_path / "register.csv"
    path.write_text(
        "Tỉnh,Huyện,Xã/Phường,Loại mô hình,Tên mô hình,Ngày ra mắt\n"
        "Bắc Ninh,Lương Tài,Thị trấn Thứa,Tổ tuần tra,A,1/1/2023\n"
        "Bắc Ninh,,Trung Kênh,Tổ tuần tra,B,1/1/2023\n"
        "Bắc Ninh,,Trung Kênh,Tổ tuần tra,C,1/9/2025\n"
    )
    import_models(demo_store, path)
    models = demo_store.models().set_index("name")
    assert models.loc[["A", "B", "C"], "unit_code"].tolist() == ["09496", "09502", "09499"]


def test_missing_columns_are_listed_at_once_in_the_same_words_for_csv_and_xlsx(
    demo_store: Store, tmp_path: Path
) -> None:
    csv_path = tmp_path / "register.csv"
    csv_path.write_text("Tên mô hình,Số thành viên\nTổ A,3\n")
    book = openpyxl.Workbook()
    book.active.append(["Tên mô hình", "Số thành viên"])
    book.active.append(["Tổ A", 3])
    xlsx_path = tmp_path / "register.xlsx"
    book.save(xlsx_path)
    messages = []
    for path in (csv_path, xlsx_path):
        errors = rejected(demo_store, path)
        assert [e.field for e in errors] == ["Loại mô hình", "Xã/Phường"]
        messages.append([e.message for e in errors])
    assert messages[0] == messages[1]
    assert messages[0][0] == (
        "missing column 'Loại mô hình' (missing as well: 'Xã/Phường' or 'Mã xã')"
    )


def rejected(store: Store, path: Path, mapping: Path | None = None) -> list:  # type: ignore[type-arg]
    before = (len(store.models()), len(store.teams()), len(store.imports()))
    with pytest.raises(ImportRejected) as caught:
        import_models(store, path, mapping=mapping)
    assert (len(store.models()), len(store.teams()), len(store.imports())) == before
    return caught.value.report.errors


def test_a_mapping_code_the_store_lacks_is_an_error_and_not_counted_matched(
    demo_store: Store, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("kind,parent_code,given_name,code\ncommune,204,Xã Bằng Kả,07999\n")
    path = tmp_path / "register.csv"
    path.write_text(
        "Huyện,Xã/Phường,Loại mô hình\nHoành Bồ,Xã Bằng Kả,Tổ tuần tra\nHoành Bồ,Bằng Cả,Camera\n"
    )
    matches = MatchReport()
    outcome = import_models(demo_store, path, dry_run=True, mapping=mapping, matches=matches)
    assert matches.counts()["matched"] == 1 and matches.counts()["unmatched"] == 1
    errors = [str(e) for e in outcome.report.errors]
    assert (
        "error: mapping.csv, row 2, field 'code': there is no commune with code '07999'" in errors
    )


# -- bad mapping files, through the command line and the upload API --------------------------

BAD_MAPPINGS = {
    # a code the store lacks, for a name the register gives
    "unknown_code": (
        "kind,parent_code,given_name,code\ncommune,204,Xã Bằng Kả,07999\n",
        "review.csv, row 2, field 'code'",
        "there is no commune with code '07999'",
    ),
    "unknown_type": (
        "kind,parent_code,given_name,code\ntype,,Câu lạc bộ phụ nữ,womens_club\n",
        "review.csv, row 2, field 'code'",
        "there is no model type with code 'womens_club'",
    ),
    # reviewed for another register: none of its names is in this one
    "another_register": (
        "kind,parent_code,given_name,code\nvillage,09595,TDP 2 Tiền Hân,09595-003\n",
        "review.csv, row 2, field 'given_name'",
        "the mapping of another register",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MAPPINGS))
def test_a_bad_mapping_is_refused_by_the_command_line(
    case: str, demo_copy_path: Path, tmp_path: Path
) -> None:
    text, where, words = BAD_MAPPINGS[case]
    mapping = tmp_path / "review.csv"
    mapping.write_text(text, encoding="utf-8")
    before = open_store(str(demo_copy_path)).imports()
    code, output = cli(
        "import", "models", str(POLICE), "--store", str(demo_copy_path), "--mapping", str(mapping)
    )
    flat = " ".join(output.split())
    assert code == 2 and where in flat and words in flat, output
    assert len(open_store(str(demo_copy_path)).imports()) == len(before)


@pytest.mark.parametrize("case", sorted(BAD_MAPPINGS))
def test_a_bad_mapping_is_refused_by_the_upload_api(
    case: str, demo_gpkg: Path, tmp_path: Path
) -> None:
    from tests.uploading import upload_settings, writer

    text, where, words = BAD_MAPPINGS[case]
    path = tmp_path / "uploads.gpkg"
    shutil.copy(demo_gpkg, path)
    before = len(open_store(str(path)).imports())
    with writer(upload_settings(path)) as client:
        response = client.post(
            "/api/imports/models",
            files={
                "file": (POLICE.name, POLICE.read_bytes(), "text/csv"),
                "mapping": ("review.csv", text.encode("utf-8"), "text/csv"),
            },
        )
    assert response.status_code == 422, response.text
    errors = response.json()["report"]["errors"]
    said = [f"{p['file']}, row {p['row']}, field '{p['field']}': {p['message']}" for p in errors]
    assert any(where in text and words in text for text in said), said
    assert len(open_store(str(path)).imports()) == before


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("title_only.csv", "Loại mô hình"),
        ("every_row_unmatched.csv", "Xã/Phường"),
        ("empty_type_column.csv", "Loại mô hình"),
    ],
)
def test_bad_registers_are_refused_by_the_upload_api(
    name: str, field: str, demo_gpkg: Path, tmp_path: Path
) -> None:
    from tests.uploading import upload_settings, writer

    path = tmp_path / "uploads.gpkg"
    shutil.copy(demo_gpkg, path)
    register = TEST_DATA / "bad" / "registers" / name
    with writer(upload_settings(path)) as client:
        response = client.post(
            "/api/imports/models", files={"file": (name, register.read_bytes(), "text/csv")}
        )
    assert response.status_code == 422, response.text
    errors = response.json()["report"]["errors"]
    assert any(p["field"] == field and p["row"] and p["file"] == name for p in errors), errors
    assert len(open_store(str(path)).imports()) == len(open_store(str(demo_gpkg)).imports())


def test_a_register_without_ids_on_an_empty_store(empty_store: Store) -> None:
    errors = rejected(empty_store, POLICE)
    assert {e.field for e in errors} == {"Tỉnh", "Xã/Phường", "Loại mô hình"}, errors
    assert empty_store.model_types().empty  # the catalogue came with nothing


# -- models a re-imported register no longer lists -------------------------------------------

TWO_MODELS = (
    "Huyện,Xã/Phường,Thôn/TDP,Loại mô hình,Tên mô hình,Số thành viên,Ngày ra mắt\n"
    "Hoành Bồ,Bằng Cả,Thôn 4,Tổ tuần tra,Tổ tuần tra thôn 4,9,1/3/2024\n"
    "Hoành Bồ,Bằng Cả,Thôn 4,Camera an ninh,Camera thôn 4,2,1/3/2024\n"
)


def test_a_model_gone_from_a_register_is_reported_then_ended_only_when_asked(
    demo_copy_path: Path, tmp_path: Path
) -> None:
    from datetime import date

    register = tmp_path / "register.csv"
    register.write_text(TWO_MODELS, encoding="utf-8")
    store = str(demo_copy_path)
    assert cli("import", "models", str(register), "--store", store)[0] == 0
    camera = open_store(store).models().set_index("name").loc["Camera thôn 4"]
    register.write_text(TWO_MODELS.rsplit("Hoành Bồ", 1)[0], encoding="utf-8")
    code, output = cli("import", "models", str(register), "--store", store)
    flat = " ".join(output.split())
    assert code == 0 and f"model '{camera['model_id']}'" in flat, output
    assert "no longer listed in register.csv" in flat and "--dissolve-unlisted" in flat
    held = open_store(store).models().set_index("model_id")
    assert held["ended_on"].isna().all()  # reported, nothing changed
    code, output = cli("import", "models", str(register), "--store", store, "--dissolve-unlisted")
    assert code == 0 and "ended on" in output, output
    after = open_store(store)
    ended = after.models().set_index("model_id").loc[camera["model_id"]]
    assert ended["ended_on"] == date.today() and ended["status"] == "active"
    assert len(after.teams(model_ids=[camera["model_id"]])) == 1  # kept, with its history
    assert cli("imports", "undo", "--store", store)[0] == 0
    assert (
        open_store(store).models().set_index("model_id").loc[camera["model_id"], "ended_on"] is None
    )


def test_an_ended_model_counts_before_its_end_only(demo_store: Store, tmp_path: Path) -> None:
    from datetime import date

    from geo_service.coverage.reads import coverage_as_of
    from geo_service.settings import CoveragePolicy

    register = tmp_path / "register.csv"
    register.write_text(TWO_MODELS, encoding="utf-8")
    import_models(demo_store, register)
    register.write_text(TWO_MODELS.rsplit("Hoành Bồ", 1)[0], encoding="utf-8")
    import_models(demo_store, register, dissolve_unlisted=True)
    models = demo_store.models()
    ended = models.loc[models["name"] == "Camera thôn 4", "ended_on"].iloc[0]
    camera = models.loc[models["name"] == "Camera thôn 4", "model_id"].iloc[0]
    village = demo_store.teams(model_ids=[camera])["unit_code"].iloc[0]

    def members(day: date) -> object:
        view = coverage_as_of(demo_store, CoveragePolicy(), day, with_geometry=False)
        villages = view.result.villages
        return villages.loc[villages["code"] == village, "members"].iloc[0]

    before, after = members(date(2025, 1, 1)), members(ended)
    assert (before, after) == (9 + 2, 9)  # the patrol's members, and the camera model's


def test_the_upload_api_dissolves_on_request_and_refuses_a_bad_flag(
    demo_gpkg: Path, tmp_path: Path
) -> None:
    from tests.uploading import upload_settings, writer

    path = tmp_path / "uploads.gpkg"
    shutil.copy(demo_gpkg, path)
    one = TWO_MODELS.rsplit("Hoành Bồ", 1)[0].encode("utf-8")
    with writer(upload_settings(path)) as client:
        for content, flag in ((TWO_MODELS.encode("utf-8"), "false"), (one, "true")):
            response = client.post(
                "/api/imports/models",
                params={"dissolve_unlisted": flag},
                files={"file": ("register.csv", content, "text/csv")},
            )
            assert response.status_code == 200, response.text
        warnings = response.json()["report"]["warnings"]
        assert any(w["code"] == "no_longer_listed" and "ended on" in w["message"] for w in warnings)
        bad = client.post(
            "/api/imports/models",
            params={"dissolve_unlisted": "perhaps"},
            files={"file": ("register.csv", one, "text/csv")},
        )
        assert bad.status_code == 422 and "dissolve_unlisted" in bad.text


def test_dissolving_on_an_empty_store_changes_nothing(tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text(TWO_MODELS, encoding="utf-8")
    store = tmp_path / "empty.gpkg"
    code, output = cli(
        "import", "models", str(register), "--store", str(store), "--dissolve-unlisted"
    )
    flat = " ".join(output.split())
    assert code == 2 and "0 matched, 2 unmatched" in flat and not store.exists(), output
