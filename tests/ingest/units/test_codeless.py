"""Boundary rows without a code (issue 13): the code of the unit stored under the same name
within the row's parent, or a code from a reviewed mapping file; every such row is in the
report; bad input is refused naming the file, the row and the field, the store unchanged."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import shapely

from geo_service.imports.options import BoundaryOptions
from geo_service.imports.pipeline import ImportOutcome, import_boundaries
from geo_service.ingest.registers.match_report import MatchReport
from geo_service.ingest.report import ImportRejected, Problem
from geo_service.store import Store, UnitQuery


def write_units(path: Path, rows: list[dict[str, object]]) -> Path:
    """A GeoJSON file of small squares in Sơn Tây, one per row, with the rows' properties."""
    features = [
        {
            "type": "Feature",
            "properties": row,
            "geometry": shapely.geometry.mapping(
                shapely.box(105.45 + i * 0.01, 21.1, 105.455 + i * 0.01, 21.105)
            ),
        }
        for i, row in enumerate(rows)
    ]
    collection = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def write_mapping(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["kind", "parent_code", "given_name", "code"])
        writer.writerows(rows)
    return path


def settled(outcome: ImportOutcome) -> list[Problem]:
    return [p for p in outcome.report.warnings if p.code == "code_settled"]


def rejected(store: Store, path: Path, **options: object) -> list[Problem]:
    """The errors of an import that must be refused, having checked the store kept still."""
    before = (store.generation(), len(store.imports()))
    with pytest.raises(ImportRejected) as refused:
        import_boundaries(store, path, **options)  # type: ignore[arg-type]
    assert (store.generation(), len(store.imports())) == before
    return refused.value.report.errors


def stored(store: Store, code: str) -> list[tuple[str, str | None]]:
    units = store.units(UnitQuery(codes=(code,), with_geometry=False))
    return list(zip(units["name"], units["parent_code"], strict=True))


def test_a_commune_takes_the_code_of_its_name_within_its_parent(
    demo_store: Store, tmp_path: Path
) -> None:
    path = write_units(
        tmp_path / "xa.geojson",
        [
            {"ma_xa": "09574", "ten": "Phường Lê Lợi", "ma_huyen": "269"},
            {"ma_xa": None, "ten": "PHƯỜNG  sơn đông", "ma_huyen": "269"},  # case, spaces
        ],
    )
    outcome = import_boundaries(demo_store, path, dry_run=True)
    (decision,) = settled(outcome)
    assert (decision.file, decision.row, decision.field) == ("xa.geojson", 2, "ma_xa")
    assert "'PHƯỜNG sơn đông' (parent 269 (Thị xã Sơn Tây))" in decision.message
    assert "took 09613, the stored commune 'Phường Sơn Đông', matched by name" in decision.message
    assert outcome.changes["units"].new == 0


def test_a_name_without_accents_is_matched_too(demo_store: Store, tmp_path: Path) -> None:
    path = write_units(
        tmp_path / "xa.geojson", [{"ma_xa": None, "ten": "Phuong Son Dong", "ma_huyen": "269"}]
    )
    (decision,) = settled(import_boundaries(demo_store, path, dry_run=True))
    assert "took 09613" in decision.message


def test_a_village_takes_the_code_of_its_name_within_its_commune(
    demo_store: Store, tmp_path: Path
) -> None:
    path = write_units(
        tmp_path / "thon.geojson", [{"ma_thon": None, "ten": "thôn  3", "ma_xa": "07057"}]
    )
    outcome = import_boundaries(demo_store, path, BoundaryOptions(level=4))
    (decision,) = settled(outcome)
    assert "took 07057-003, the stored village 'Thôn 3'" in decision.message
    assert outcome.import_id is not None
    assert ("thôn 3", "07057") in stored(demo_store, "07057-003")


def test_the_parent_is_found_by_its_province_and_district_names(
    demo_store: Store, tmp_path: Path
) -> None:
    path = write_units(
        tmp_path / "xa.geojson",
        [
            {
                "ma_xa": None,
                "ten_xa": "Phường Sơn Đông",
                "district_vn": "Thị xã Sơn Tây",
                "province_vn": "Hà Nội",
                "valid_to": "2025-07-01",
            }
        ],
    )
    outcome = import_boundaries(demo_store, path)
    (decision,) = settled(outcome)
    assert "parent 269 (Thị xã Sơn Tây), found by the names 'Hà Nội' / 'Thị xã Sơn Tây'" in (
        decision.message
    )
    assert stored(demo_store, "09613") == [("Phường Sơn Đông", "269")]


def test_an_unmatched_row_goes_to_the_template_and_takes_the_mapped_code(
    demo_store: Store, tmp_path: Path
) -> None:
    path = write_units(
        tmp_path / "xa.geojson",
        [
            {"ma_xa": "09574", "ten": "Phường Lê Lợi", "ma_huyen": "269"},
            {"ma_xa": None, "ten": "Phường Sơn Đôngg", "ma_huyen": "269"},
        ],
    )
    matches = MatchReport()
    (error,) = rejected(demo_store, path, matches=matches)
    assert (error.file, error.row, error.field) == ("xa.geojson", 2, "ma_xa")
    assert "no stored commune under 269 (Thị xã Sơn Tây) is named so" in error.message
    assert "'Phường Sơn Đông' 09613" in error.message  # the suggestion
    template = tmp_path / "T.csv"
    assert matches.write_mapping_template(template) == 1
    with template.open(encoding="utf-8-sig") as stream:
        (row,) = list(csv.DictReader(stream))
    assert (row["kind"], row["parent_code"], row["given_name"], row["code"]) == (
        "commune",
        "269",
        "Phường Sơn Đôngg",
        "",
    )
    assert "09613" in row["suggestions"] and row["rows"] == "2"
    row["code"] = "09999"  # a ward the store does not know yet
    with template.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    outcome = import_boundaries(demo_store, path, mapping=template)
    (decision,) = settled(outcome)
    assert "took 09999 from T.csv row 2: a new code, not in the store" in decision.message
    assert stored(demo_store, "09999") == [("Phường Sơn Đôngg", "269")]


def test_a_mapping_may_name_a_stored_unit(demo_store: Store, tmp_path: Path) -> None:
    path = write_units(
        tmp_path / "xa.geojson", [{"ma_xa": None, "ten": "Phường X", "ma_huyen": "269"}]
    )
    mapping = write_mapping(tmp_path / "m.csv", [("commune", "269", "Phường X", "09613")])
    (decision,) = settled(import_boundaries(demo_store, path, dry_run=True, mapping=mapping))
    assert "took 09613 (Phường Sơn Đông), from m.csv row 2" in decision.message


def test_a_codeless_row_with_no_parent_and_no_mapping_is_refused(
    demo_store: Store, tmp_path: Path
) -> None:
    path = write_units(tmp_path / "xa.geojson", [{"ma_xa": None, "ten": "Phường Sơn Đông"}])
    (error,) = rejected(demo_store, path)
    assert (error.file, error.row, error.field) == ("xa.geojson", 1, "ma_xa")
    assert "no parent: the file gives no district or province code or name" in error.message
    # With a mapping it takes the code, and the parent the mapping gives.
    mapping = write_mapping(tmp_path / "m.csv", [("commune", "269", "Phường Sơn Đông", "09613")])
    outcome = import_boundaries(demo_store, path, dry_run=True, mapping=mapping)
    assert "took 09613" in settled(outcome)[0].message


@pytest.mark.parametrize(
    ("mapped", "field", "message"),
    [
        (("commune", "269", "Phường Mới", "9613x"), "code", "a commune code is 5 digits"),
        (
            ("commune", "269", "Phường Mới", "09496"),
            "code",
            "is under 24, 264 in the store, not under 269",
        ),
        (("commune", "269", "Phường Mới", "269"), "code", "a commune code is 5 digits"),
        (("village", "09574", "Phường Mới", "T1"), "given_name", "no row of xa.geojson"),
        (("commune", "269", "Phường Khác", "09999"), "given_name", "no row of xa.geojson"),
    ],
)
def test_a_bad_mapping_is_refused_naming_its_row_and_field(
    demo_store: Store,
    tmp_path: Path,
    mapped: tuple[str, str, str, str],
    field: str,
    message: str,
) -> None:
    path = write_units(
        tmp_path / "xa.geojson", [{"ma_xa": None, "ten": "Phường Mới", "ma_huyen": "269"}]
    )
    mapping = write_mapping(tmp_path / "m.csv", [mapped])
    errors = rejected(demo_store, path, mapping=mapping)
    found = [e for e in errors if e.file == "m.csv"]
    assert [(e.row, e.field) for e in found] == [(2, field)], errors
    assert message in found[0].message


def test_a_village_mapped_to_a_commune_code_is_refused(demo_store: Store, tmp_path: Path) -> None:
    path = write_units(
        tmp_path / "thon.geojson", [{"ma_thon": None, "ten": "Thôn Mới", "ma_xa": "07057"}]
    )
    mapping = write_mapping(tmp_path / "m.csv", [("village", "07057", "Thôn Mới", "09613")])
    (error,) = rejected(demo_store, path, options=BoundaryOptions(level=4), mapping=mapping)
    assert (error.file, error.row, error.field) == ("m.csv", 2, "code")
    assert "09613 (Phường Sơn Đông) is a commune in the store, not a village" in error.message


def test_a_code_taken_by_another_row_is_refused(demo_store: Store, tmp_path: Path) -> None:
    path = write_units(
        tmp_path / "xa.geojson",
        [
            {"ma_xa": "09574", "ten": "Phường Lê Lợi", "ma_huyen": "269"},
            {"ma_xa": None, "ten": "Phường Mới", "ma_huyen": "269"},
        ],
    )
    mapping = write_mapping(tmp_path / "m.csv", [("commune", "269", "Phường Mới", "09574")])
    (error,) = rejected(demo_store, path, mapping=mapping)
    assert (error.file, error.row, error.field) == ("xa.geojson", 2, "ma_xa")
    assert "the code 09574 taken for 'Phường Mới' is also the code of row 1" in error.message


def test_two_codeless_rows_may_not_take_one_code(demo_store: Store, tmp_path: Path) -> None:
    path = write_units(
        tmp_path / "xa.geojson",
        [
            {"ma_xa": None, "ten": "Phường Sơn Đông", "ma_huyen": "269"},
            {"ma_xa": None, "ten": "Phường Sơn  Đông", "ma_huyen": "269"},
        ],
    )
    errors = rejected(demo_store, path)
    assert [(e.row, e.code) for e in errors if e.field == "ma_xa"] == [(2, "duplicate_code")]


def test_on_an_empty_store_a_codeless_row_is_refused_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    from geo_service.store import open_store

    store_path = tmp_path / "empty.gpkg"
    store = open_store(str(store_path))
    path = write_units(
        tmp_path / "xa.geojson",
        [{"ma_xa": None, "ten": "Phường Sơn Đông", "district_vn": "Thị xã Sơn Tây"}],
    )
    matches = MatchReport()
    (error,) = rejected(store, path, matches=matches)
    assert (error.row, error.field) == (1, "ma_xa")
    assert "its district 'Thị xã Sơn Tây' is unmatched in the store" in error.message
    assert [row["given_name"] for row in matches.template_rows()] == ["Phường Sơn Đông"]
    assert not store_path.exists()
