"""Name matching you can trust: a messy register against the demo store.

Every row is either matched to the right unit or reported (with candidates and
suggestions); nothing is guessed. The dry-run report, its JSON, the mapping template and
the reviewed mapping fed back on the next run are exercised the way a person uses them.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.imports.pipeline import import_models
from geo_service.ingest.registers.match_report import MatchReport
from geo_service.ingest.report import ImportRejected
from geo_service.store import Store, open_store
from tests.paths import TEST_DATA

MESSY = TEST_DATA / "registers" / "messy_register.csv"
runner = CliRunner()

# Register row -> (row status, matched commune, matched village) of the messy register.
EXPECTED = {
    3: ("matched", "07057", "07057-001"),  # "xa bang ca" in "Hoanh Bo"; "thon mot"
    4: ("matched", "07057", "07057-002"),  # "Thôn II"
    5: ("matched", "07057", "07057-003"),  # "Th«n 3": typed in a TCVN3 font
    6: ("unmatched", "07057", None),  # "Xóm 4": there is a Thôn 4, never taken for it
    7: ("matched", "09496", "09496-005"),  # "KP 5"
    8: ("matched", "09496", "09496-008"),  # "Khu phố Tám"
    9: ("matched", "09595", "09595-007"),  # "TDP 4 Tien Huan"
    10: ("unmatched", "09595", None),  # "TDP 2 Tiền Hân": a typo
    11: ("matched", "15823", None),  # "Xã Thiệu Hoà" (stored "Xã Thiệu Hòa"), commune-wide
    12: ("ambiguous", None, None),  # "Thieu Hoa": Thị trấn Thiệu Hóa or Xã Thiệu Hòa?
    13: ("matched", "19357", "19357-001"),  # "P. 1" in "TX Quảng Trị"; "Khu pho mot"
}
# What a reviewer chooses for the reported names.
CHOSEN = {
    ("village", "07057", "Xóm 4"): "07057-004",
    ("village", "09595", "TDP 2 Tiền Hân"): "09595-003",
    ("commune", "398", "Thieu Hoa"): "15772",
}


@pytest.fixture
def store_path(demo_gpkg: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    return path


def dry_run(store: Store, **options: Path) -> MatchReport:
    matches = MatchReport()
    import_models(store, MESSY, dry_run=True, matches=matches, **options)
    return matches


def outcome_of(matches: MatchReport) -> dict[int, tuple[str, str | None, str | None]]:
    return {
        row.row: (
            row.status,
            row.commune.lookup.code if row.commune else None,
            row.village.lookup.code if row.village else None,
        )
        for row in matches.rows
    }


def test_every_row_of_the_messy_register_is_matched_right_or_reported(demo_store: Store) -> None:
    before = (len(demo_store.models()), len(demo_store.imports()))
    matches = dry_run(demo_store)
    assert outcome_of(matches) == EXPECTED
    assert matches.counts() == {
        "rows": 11,
        "matched": 8,
        "unmatched": 2,
        "ambiguous": 1,
        "skipped": 0,
    }
    assert (len(demo_store.models()), len(demo_store.imports())) == before


def test_reported_rows_carry_candidates_and_suggestions(demo_store: Store) -> None:
    failures = {f.placed.row: f for f in dry_run(demo_store).failures()}
    assert sorted(failures) == [6, 10, 12]
    other_type = failures[6].placed.lookup
    assert other_type.suggestions[0][:2] == ("07057-004", "Thôn 4")
    assert "is a xom" in other_type.reason
    typo = failures[10].placed.lookup
    assert typo.suggestions[0][:2] == ("09595-003", "Tổ dân phố 2 Tiền Huân")
    assert typo.suggestions[0][2] >= 90
    ambiguous = failures[12].placed.lookup
    assert ambiguous.parent_code == "398"
    assert ambiguous.candidates == (("15772", "Thị trấn Thiệu Hoá"), ("15823", "Xã Thiệu Hoà"))


def test_a_real_import_of_the_messy_register_rejects_the_whole_file(demo_store: Store) -> None:
    before = (len(demo_store.models()), len(demo_store.teams()), len(demo_store.imports()))
    with pytest.raises(ImportRejected) as caught:
        import_models(demo_store, MESSY)
    errors = [str(p) for p in caught.value.report.errors]
    assert len(errors) == 3
    assert errors[0].startswith("error: messy_register.csv, row 6, field 'Thôn, tổ dân phố'")
    assert "did you mean 'Tổ dân phố 2 Tiền Huân' (09595-003" in errors[1]
    assert "row 12, field 'Xa/Phuong'" in errors[2] and "15772" in errors[2]
    assert (len(demo_store.models()), len(demo_store.teams()), len(demo_store.imports())) == before


def test_the_legacy_cell_is_converted_with_a_warning(demo_store: Store) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_models(demo_store, MESSY)
    warnings = [str(p) for p in caught.value.report.warnings]
    assert any("row 5, field 'Thôn, tổ dân phố'" in w and "TCVN3" in w for w in warnings), warnings


def test_json_report_lists_every_row(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    dry_run(demo_store).write_json(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["summary"] == {
        "rows": 11,
        "matched": 8,
        "unmatched": 2,
        "ambiguous": 1,
        "skipped": 0,
    }
    rows = {row["row"]: row for row in document["rows"]}
    assert set(rows) == set(EXPECTED)
    typo = rows[10]["village"]
    assert typo["given_name"] == "TDP 2 Tiền Hân" and typo["status"] == "unmatched"
    assert typo["suggestions"][0] == {
        "code": "09595-003",
        "name": "Tổ dân phố 2 Tiền Huân",
        "score": typo["suggestions"][0]["score"],
    }
    assert typo["chosen_code"] is None
    assert rows[3]["commune"]["how"] == "name" and rows[7]["commune"]["how"] == "code"
    assert rows[12]["village"]["status"] == "not_checked"


def test_mapping_template_filled_in_makes_the_register_import(
    demo_store: Store, tmp_path: Path
) -> None:
    template = tmp_path / "mapping.csv"
    assert dry_run(demo_store).write_mapping_template(template) == 3
    with template.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {(r["kind"], r["parent_code"], r["given_name"]) for r in rows} == set(CHOSEN)
    assert all(r["code"] == "" for r in rows)
    for row in rows:
        row["code"] = CHOSEN[row["kind"], row["parent_code"], row["given_name"]]
    with template.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    matches = MatchReport()
    outcome = import_models(demo_store, MESSY, mapping=template, matches=matches)
    assert outcome.import_id is not None
    assert matches.counts()["matched"] == 11
    teams = demo_store.teams(model_ids=["M1", "M3", "M5"]).set_index("team_id")
    assert teams.loc["M1/004", "unit_code"] == "07057-004"  # "Xóm 4", as reviewed
    assert teams.loc["M3/002", "unit_code"] == "09595-003"
    assert teams.loc["M5/001", "unit_code"] == "15772-001"
    assert teams.loc["M1/001", "members"] == 1250  # "1.250"
    assert teams.loc["M1/002", "members"] == 12  # "12 người"
    assert teams.loc["M3/001", "households"] == 24  # "24 hộ"
    models = demo_store.models().set_index("model_id")
    assert models.loc["M1", "launch_date"] == date(2022, 6, 16)  # "ngày 16 tháng 6 năm 2022"
    assert models.loc["M2", "launch_date"] == date(2022, 6, 16)  # Excel serial 44728
    assert models.loc["M5", "unit_code"] == "15772"
    assert models.loc["M6", "launch_date"] == date(2022, 6, 16)  # "16-6-2022"


def test_a_filled_json_report_works_as_a_mapping(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    dry_run(demo_store).write_json(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    for row in document["rows"]:
        for part in ("commune", "village"):
            lookup = row[part]
            key = (part, lookup["parent_code"], lookup["given_name"]) if lookup else None
            if key in CHOSEN:
                lookup["chosen_code"] = CHOSEN[key]
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    matches = dry_run(demo_store, mapping=path)
    assert matches.counts() == {
        "rows": 11,
        "matched": 11,
        "unmatched": 0,
        "ambiguous": 0,
        "skipped": 0,
    }
    mapped = [r.village for r in matches.rows if r.village and r.village.lookup.how == "mapping"]
    assert [p.lookup.code for p in mapped] == ["07057-004", "09595-003"]


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("village,07057,Xóm 4,07057-999", "code", "there is no village with code '07057-999'"),
        ("village,07057,Xóm 4,09595-003", "code", "is not under '07057'"),
        ("commune,,Thieu Hoa,07057-001", "code", "there is no commune with code"),
        ("hamlet,07057,Xóm 4,07057-004", "kind", "must be 'commune', 'village' or 'type'"),
        ("village,,Xóm 4,07057-004", "parent_code", "needs parent_code"),
    ],
)
def test_bad_mapping_rows_are_named_by_file_and_row(
    demo_store: Store, tmp_path: Path, line: str, field: str, words: str
) -> None:
    mapping = tmp_path / "reviewed.csv"
    mapping.write_text(f"kind,parent_code,given_name,code\n{line}\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_models(demo_store, MESSY, mapping=mapping)
    problems = [str(p) for p in caught.value.report.errors if p.file == "reviewed.csv"]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"error: reviewed.csv, row 2, field '{field}'")
    assert words in problems[0]


def test_conflicting_mapping_rows_are_refused(demo_store: Store, tmp_path: Path) -> None:
    mapping = tmp_path / "reviewed.csv"
    mapping.write_text(
        "kind,parent_code,given_name,code\n"
        "village,07057,Xóm 4,07057-004\n"
        "village,07057,xóm  4,07057-003\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        import_models(demo_store, MESSY, mapping=mapping)
    assert any(
        "reviewed.csv, row 3" in str(p) and "mapped to 07057-004 on row 2" in str(p)
        for p in caught.value.report.errors
    )


def test_a_mapping_never_matches_a_name_that_only_folds_alike(
    demo_store: Store, tmp_path: Path
) -> None:
    """ "Thiệu Hòa" and "Thiệu Hóa" are different communes: a mapping of one is not the other."""
    mapping = tmp_path / "reviewed.csv"
    mapping.write_text(
        "kind,parent_code,given_name,code\ncommune,398,Thiệu Hóa,15772\n", encoding="utf-8"
    )
    matches = dry_run(demo_store, mapping=mapping)
    assert outcome_of(matches)[12][0] == "ambiguous"  # "Thieu Hoa" is still to be reviewed


def test_code_and_name_that_disagree_are_reported(demo_store: Store, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text(
        "Mã mô hình,Loại mô hình,Mã xã,Xã/Phường\n"
        "A,patrol_team,07054,Bằng Cả\n"
        "B,patrol_team,09496,Xã Lương Tài\n"  # the 2025 name of the same code: fine
        "C,patrol_team,9496,Thị trấn Thứa\n",  # Excel dropped the leading zero
        encoding="utf-8",
    )
    matches = MatchReport()
    outcome = import_models(demo_store, register, dry_run=True, matches=matches)
    assert [str(p) for p in outcome.report.errors] == [
        "error: register.csv, row 2, field 'Mã xã': commune code 07054 is Xã Quảng La, "
        "not 'Bằng Cả'; correct the code or the name"
    ]
    assert [r.status for r in matches.rows] == ["unmatched", "matched", "matched"]
    assert matches.rows[2].commune is not None
    assert matches.rows[2].commune.lookup.code == "09496"


# --- the command line -------------------------------------------------------------------


def test_cli_dry_run_prints_the_report_and_exits_2(store_path: Path, tmp_path: Path) -> None:
    report, template = tmp_path / "report.json", tmp_path / "template.csv"
    imports_before = len(open_store(str(store_path)).imports())
    result = runner.invoke(
        app,
        ["import", "models", str(MESSY), "--store", str(store_path), "--dry-run",
         "--report", str(report), "--mapping-template", str(template)],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "messy_register.csv: 11 rows — 8 matched, 2 unmatched, 1 ambiguous" in result.output
    assert "TDP 2 Tiền Hân" in result.output and "09595-003 Tổ dân phố 2 Tiền Huân" in result.output
    assert "15772 Thị trấn Thiệu Hoá" in result.output
    assert "would be rejected: 3 error(s)" in result.output
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["ambiguous"] == 1
    assert len(template.read_text(encoding="utf-8-sig").splitlines()) == 4
    assert len(open_store(str(store_path)).imports()) == imports_before


def test_cli_with_a_reviewed_mapping_imports(store_path: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.csv"
    lines = [f"{kind},{parent},{name},{code}" for (kind, parent, name), code in CHOSEN.items()]
    mapping.write_text("kind,parent_code,given_name,code\n" + "\n".join(lines) + "\n", "utf-8")
    imports_before = len(open_store(str(store_path)).imports())
    args = ["import", "models", str(MESSY), "--store", str(store_path), "--mapping", str(mapping)]
    dry = runner.invoke(app, [*args, "--dry-run"], env={"COLUMNS": "200"})
    assert dry.exit_code == 0, dry.output
    assert "11 rows — 11 matched, 0 unmatched, 0 ambiguous" in dry.output
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "imported (import #" in result.output
    assert len(open_store(str(store_path)).imports()) == imports_before + 1
    again = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert "nothing to change" in again.output


def test_cli_real_import_with_problems_is_rejected_and_still_writes_the_report(
    store_path: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    imports_before = len(open_store(str(store_path)).imports())
    result = runner.invoke(
        app,
        ["import", "models", str(MESSY), "--store", str(store_path), "--report", str(report)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert "rejected: 3 error(s); the store was not changed" in result.output
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["rows"] == 11
    assert len(open_store(str(store_path)).imports()) == imports_before
