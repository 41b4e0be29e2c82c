"""The bad-input corpus (tests/data/bad): every file imported the way a person would.

Each rejected file goes through the pipeline and through the command line against a copy
of the demo store: the import must be refused, the message must name the file, the row
(where there is one) and the field with the expected words, and the store must not change.
Files that are repaired with a warning are accepted, and the warning names the row.
Cases marked ``broken`` document behaviour still to be fixed (strict xfail).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.imports.options import BoundaryOptions
from geo_service.imports.pipeline import (
    ImportOutcome,
    import_boundaries,
    import_models,
    import_villages,
)
from geo_service.ingest.report import ImportRejected, Problem
from geo_service.store import Store, UnitQuery, open_store
from geo_service.store.geopackage import GeoPackageStore
from tests.paths import TEST_DATA

CORPUS = TEST_DATA / "bad"
BOUNDARIES, MODELS, VILLAGES = "boundaries", "models", "villages"


@dataclass(frozen=True)
class Case:
    file: str  # relative to tests/data/bad
    command: str  # BOUNDARIES, MODELS or VILLAGES
    row: int | None  # spreadsheet row (header = 1) or feature number; None for the whole file
    field: str | None
    words: tuple[str, ...]  # all must appear in the message (case-insensitive)
    level: int = 3  # for boundaries
    broken: str | None = None  # why this case fails today (strict xfail)
    # The command line lists unmatched names in a review table whose cells wrap, so it
    # checks the row there but not the words: such a case can pass there while broken.
    cli_passes: bool = False

    @property
    def name(self) -> str:
        return Path(self.file).name


GEOMETRY, PARENT_COLUMN = "geometry", "ma_huyen"
MINUS_FORMULA = "-2+3+cmd|' /C calc'!A0"  # a formula that begins with "-"
# Personal data is named masked: "0912 345 678" is shown as "091* *** *78".
PHONE_WORDS = ("personal data", "phone number", "091* *** *78")
# The numbers typed into the corpus, which no message may repeat.
PERSONAL_NUMBERS = ("0912 345 678", "912.345.678", "001089012345", "0987 654 321")
CASES = [
    # -- boundaries ---------------------------------------------------------------------------
    Case("boundaries/broken_json.geojson", BOUNDARIES, None, None, ("cannot read", "GeoJSON")),
    Case("boundaries/empty.geojson", BOUNDARIES, None, None, ("empty", "0 bytes")),
    Case("boundaries/no_features.geojson", BOUNDARIES, None, GEOMETRY, ("no features",)),
    Case("boundaries/empty_geometry.geojson", BOUNDARIES, 2, GEOMETRY, ("empty geometry",)),
    Case("boundaries/mixed_geometry.geojson", BOUNDARIES, 2, GEOMETRY, ("LineString", "Polygon")),
    Case("boundaries/mixed_geometry.geojson", BOUNDARIES, None, GEOMETRY, ("mixes polygons",)),
    Case("boundaries/points.geojson", BOUNDARIES, 1, GEOMETRY, ("Point", "Polygon")),
    Case("boundaries/point_layer.gpkg", BOUNDARIES, None, "layer", ("no polygon layer", "Point")),
    Case("boundaries/missing_dbf.zip", BOUNDARIES, None, None, ("xa.shp", "missing .dbf")),
    Case("boundaries/missing_shx.zip", BOUNDARIES, None, None, ("xa.shp", "missing .shx")),
    Case("boundaries/no_shp.zip", BOUNDARIES, None, None, ("no .shp",)),
    Case(
        "boundaries/wrong_prj.zip",
        BOUNDARIES,
        None,
        GEOMETRY,
        ("EPSG:3405", "metres", "lon/lat degrees", "--crs"),
    ),
    Case(
        "boundaries/tm3_without_prj.zip",
        BOUNDARIES,
        None,
        GEOMETRY,
        ("no .prj", "metres", "EPSG:9209", "Bac Ninh", "--crs"),
    ),
    Case(
        "boundaries/tm3_in_geojson.geojson",
        BOUNDARIES,
        None,
        GEOMETRY,
        ("EPSG:4326", "metres", "EPSG:9209", "--crs"),
    ),
    Case("boundaries/swapped_latlon.geojson", BOUNDARIES, None, GEOMETRY, ("lat/lon swapped",)),
    Case("boundaries/duplicate_codes.geojson", BOUNDARIES, 2, "ma_xa", ("duplicate code", "row 1")),
    Case(
        "boundaries/unknown_parent.geojson",
        BOUNDARIES,
        2,
        PARENT_COLUMN,
        ("unknown parent code '999'",),
    ),
    Case("boundaries/missing_name.geojson", BOUNDARIES, 2, "ten_xa", ("missing name",)),
    Case(
        "boundaries/duplicate_village_names.geojson",
        BOUNDARIES,
        2,
        "ten_thon",
        ("duplicate village names", "Thôn 1", "Thôn Một"),
        level=4,
    ),
    Case("boundaries/zip_bomb.zip", BOUNDARIES, None, None, ("refused", "ratio 100")),
    Case("boundaries/zip_bomb_declared.zip", BOUNDARIES, None, None, ("refused", "1,073,741,824")),
    Case("boundaries/text.gpkg", BOUNDARIES, None, None, ("cannot read", "GeoPackage")),
    Case("boundaries/formula_code.geojson", BOUNDARIES, 2, "ma_xa", ("=HYPERLINK", "5 digits")),
    Case(
        "boundaries/formula_parent_code.geojson",
        BOUNDARIES,
        2,
        PARENT_COLUMN,
        ("parent code '=1+1'", "3 digits"),
    ),
    Case("boundaries/formula_name.geojson", BOUNDARIES, 2, "ten_xa", ("formula", MINUS_FORMULA)),
    Case("boundaries/phone_in_name.geojson", BOUNDARIES, 2, "ten_xa", PHONE_WORDS),
    # -- registers ----------------------------------------------------------------------------
    Case("registers/empty.csv", MODELS, None, None, ("empty", "0 bytes")),
    Case(
        "registers/header_only.csv",
        MODELS,
        None,
        None,
        ("no", "row"),
    ),
    Case("registers/garbage_header.csv", MODELS, 1, None, ("encoding",)),
    Case("registers/title_only.csv", MODELS, 1, "Loại mô hình", ("missing column", "Xã/Phường")),
    Case(
        "registers/every_row_unmatched.csv", MODELS, 2, "Xã/Phường", ("no commune", "Xã Không Có")
    ),
    Case("registers/every_row_unmatched.csv", MODELS, 3, "Xã/Phường", ("no commune",)),
    Case("registers/empty_type_column.csv", MODELS, 2, "Loại mô hình", ("model type is empty",)),
    Case("registers/empty_type_column.csv", MODELS, 3, "Loại mô hình", ("model type is empty",)),
    Case("registers/missing_type_column.csv", MODELS, 1, "Loại mô hình", ("missing column",)),
    Case("registers/duplicate_columns.csv", MODELS, 1, "Số TV", ("two columns", "Số thành viên")),
    Case("registers/personal_data.csv", MODELS, 1, "Họ tên", ("personal data",)),
    Case("registers/personal_data.csv", MODELS, 1, "Số điện thoại", ("personal data",)),
    Case("registers/unknown_commune_code.csv", MODELS, 3, "Mã xã", ("unknown commune", "12345")),
    Case("registers/unknown_village.csv", MODELS, 3, "Thôn/TDP", ("no village", "Thôn 9")),
    Case(
        "registers/ambiguous_commune.csv",
        MODELS,
        3,
        "Xã/Phường",
        ("matches several", "07066", "09574"),
    ),
    Case(
        "registers/ambiguous_village.csv",
        MODELS,
        3,
        "Thôn/TDP",
        ("Tổ dân phố 1 Tiền Huân", "Tổ dân phố 1 Viên Sơn"),
    ),
    Case("registers/formula_in_name.csv", MODELS, 3, "Tên mô hình", ("formula", "=HYPERLINK")),
    Case("registers/script_in_name.csv", MODELS, 3, "Tên tổ", ("markup",)),
    Case("registers/formula_minus_team.csv", MODELS, 3, "Tên tổ", ("formula", MINUS_FORMULA)),
    Case("registers/formula_minus_key.csv", MODELS, 3, "Mã mô hình", ("formula",)),
    Case(
        "registers/console_markup_in_cell.csv",
        MODELS,
        3,
        "Tên tổ",
        ("'=[/x] [bold]y'", "formula"),  # quoted as typed, not read as the terminal's markup
    ),
    Case("registers/formula_minus_note.csv", MODELS, 2, "Ghi chú", ("formula",)),
    Case("registers/phone_in_leader_role.csv", MODELS, 3, "Chức danh tổ trưởng", PHONE_WORDS),
    Case(
        "registers/phone_in_team_name.csv",
        MODELS,
        3,
        "Tên tổ",
        ("personal data", "phone number", "+84 9**.***.*78"),
    ),
    Case(
        "registers/cccd_in_notes.csv",
        MODELS,
        2,
        "Ghi chú",
        ("personal data", "CCCD", "001*******45"),
    ),
    Case(
        "registers/email_in_notes.csv",
        MODELS,
        2,
        "Ghi chú",
        ("personal data", "e-mail", "t***@example.com"),
    ),
    Case(
        "registers/personal_figure.csv",
        MODELS,
        2,
        "Chỉ số khác",
        ("personal data", "sdt_to_truong", "phone number"),
    ),
    Case("registers/negative_members.csv", MODELS, 3, "Số thành viên", ("-5", "whole number")),
    Case(
        "registers/impossible_date.csv",
        MODELS,
        3,
        "Ngày ra mắt",
        ("31/02/2024", "not a valid"),
    ),
    Case(
        "registers/conflicting_model_fields.csv",
        MODELS,
        3,
        "Tên mô hình",
        ("conflicts", "row 2"),
    ),
    Case("registers/unknown_model_type.csv", MODELS, 3, "Loại mô hình", ("unknown model type",)),
    Case("registers/unknown_status.csv", MODELS, 3, "Trạng thái", ("unknown status", "Tạm nghỉ")),
    Case("registers/empty_model_key.csv", MODELS, 3, "Mã mô hình", ("model key is empty",)),
    # -- village points -----------------------------------------------------------------------
    Case("villages/outside_commune.csv", VILLAGES, 3, "lon/lat", ("outside commune 07057",)),
    Case("villages/non_numeric_lat.csv", VILLAGES, 3, "lat", ("not a number", "hai mốt độ")),
    Case(
        "villages/swapped_latlon.csv",
        VILLAGES,
        3,
        "lon/lat",
        ("swapped",),
    ),
    Case("villages/unknown_commune.csv", VILLAGES, 3, "commune_code", ("unknown commune", "99999")),
    Case("villages/duplicate_names.csv", VILLAGES, 3, "name", ("Thôn Một", "repeats row 2")),
    Case("villages/missing_name.csv", VILLAGES, 3, "name", ("name is missing",)),
    Case("villages/missing_lat_column.csv", VILLAGES, 1, "lat", ("missing column",)),
    Case("villages/formula_name.csv", VILLAGES, 3, "name", ("formula", MINUS_FORMULA)),
    Case("villages/phone_in_name.csv", VILLAGES, 3, "name", ("personal data", "098* *** *21")),
]


@dataclass(frozen=True)
class Repaired:
    file: str
    row: int
    words: tuple[str, ...]


REPAIRED = [
    Repaired("boundaries/repaired/unclosed_ring.geojson", 2, ("not closed", "repaired")),
    Repaired("boundaries/repaired/self_intersection.geojson", 2, ("Self-intersection", "repaired")),
]
REPAIRED_CODES = ["99901", "99902"]


def params(cases: list[Case], *, cli: bool = False) -> list[object]:
    def marks(case: Case) -> list[pytest.MarkDecorator]:
        if case.broken is None or (cli and case.cli_passes):
            return []
        return [pytest.mark.xfail(strict=True, reason=case.broken)]

    return [
        pytest.param(case, id=f"{case.file}:{case.row}:{case.field}", marks=marks(case))
        for case in cases
    ]


# -- helpers ----------------------------------------------------------------------------------


def run_pipeline(case: Case, store: Store) -> ImportOutcome:
    path = CORPUS / case.file
    if case.command == BOUNDARIES:
        return import_boundaries(store, path, BoundaryOptions(level=case.level))
    if case.command == MODELS:
        return import_models(store, path)
    return import_villages(store, path)


def cli_args(case: Case, store_path: Path) -> list[str]:
    path = str(CORPUS / case.file)
    store = ["--store", str(store_path)]
    if case.command == BOUNDARIES:
        return ["import", "boundaries", path, *store, "--level", str(case.level)]
    if case.command == MODELS:
        return ["import", "models", path, *store]
    return ["villages", "derive", path, *store, "--import"]


def store_path(store: Store) -> Path:
    assert isinstance(store, GeoPackageStore)
    return store.path


@dataclass(frozen=True)
class Snapshot:
    units: pd.DataFrame
    models: pd.DataFrame
    teams: pd.DataFrame
    imports: int


def snapshot(store: Store) -> Snapshot:
    units = store.units()
    return Snapshot(
        pd.DataFrame(units.to_wkb()), store.models(), store.teams(), len(store.imports())
    )


def assert_unchanged(store: Store, before: Snapshot) -> None:
    after = snapshot(store)
    pd.testing.assert_frame_equal(after.units, before.units)
    pd.testing.assert_frame_equal(after.models, before.models)
    pd.testing.assert_frame_equal(after.teams, before.teams)
    assert after.imports == before.imports


def has_words(text: str, words: tuple[str, ...]) -> bool:
    return all(word.lower() in text.lower() for word in words)


def location(file: str, row: int | None, field: str | None) -> str:
    """How a problem names its place, e.g. "x.csv, row 3, field 'Mã xã'" (validate.Problem)."""
    return str(Problem("error", file, "", row, field)).removeprefix("error: ").removesuffix(": ")


# -- rejected files ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", params(CASES))
def test_bad_file_is_refused_naming_file_row_and_field(case: Case, demo_store: Store) -> None:
    before = snapshot(demo_store)
    with pytest.raises(ImportRejected) as caught:
        run_pipeline(case, demo_store)
    report = caught.value.report
    assert report.file == case.name
    assert all(problem.file == case.name for problem in report.problems)
    listed = "\n".join(str(problem) for problem in report.errors)
    assert any(
        (problem.row, problem.field) == (case.row, case.field)
        and has_words(problem.message, case.words)
        for problem in report.errors
    ), f"no error at row {case.row}, field {case.field!r} saying {case.words}:\n{listed}"
    assert_unchanged(demo_store, before)


@pytest.mark.parametrize("case", params(CASES, cli=True))
def test_bad_file_is_refused_by_the_command_line(case: Case, demo_store: Store) -> None:
    before = snapshot(demo_store)
    result = CliRunner().invoke(app, cli_args(case, store_path(demo_store)))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    lines = result.output.splitlines()
    prefix = f"error: {location(case.name, case.row, case.field)}: "
    listed = any(
        line.startswith(prefix) and has_words(line.removeprefix(prefix), case.words)
        for line in lines
    )
    assert listed or in_review_table(case, lines), result.output
    assert "the store was not changed" in result.output
    assert_unchanged(open_store(str(store_path(demo_store))), before)


def in_review_table(case: Case, lines: list[str]) -> bool:
    """Unmatched and ambiguous register names are listed in the CLI's review table instead."""
    return (
        case.command == MODELS
        and any(line.startswith(f"{case.name}: ") for line in lines)
        and "Rows to review" in "\n".join(lines)
        and any(line.startswith(f"│ {case.row} ") for line in lines)
    )


@pytest.mark.parametrize(
    "case",
    list({case.file: case for case in CASES if "personal data" in case.words}.values()),
    ids=lambda case: case.file,
)
def test_personal_data_is_named_masked_never_repeated(case: Case, demo_store: Store) -> None:
    result = CliRunner().invoke(app, cli_args(case, store_path(demo_store)))
    assert result.exit_code == 2, result.output
    assert "personal data" in result.output
    assert not any(number in result.output for number in PERSONAL_NUMBERS), result.output


# -- repaired and accepted --------------------------------------------------------------------


@pytest.mark.parametrize("case", REPAIRED, ids=lambda case: case.file)
def test_repairable_geometry_is_accepted_with_a_warning_naming_the_row(
    case: Repaired, demo_store: Store
) -> None:
    imports_before = len(demo_store.imports())
    outcome = import_boundaries(demo_store, CORPUS / case.file, BoundaryOptions(level=3))
    assert outcome.report.ok
    [warning] = outcome.report.warnings
    assert (warning.file, warning.row, warning.field) == (
        Path(case.file).name,
        case.row,
        "geometry",
    )
    assert has_words(warning.message, case.words)
    units = demo_store.units(UnitQuery(codes=tuple(REPAIRED_CODES)))
    assert sorted(units["code"]) == REPAIRED_CODES
    assert set(units.geometry.geom_type) == {"MultiPolygon"} and units.geometry.is_valid.all()
    assert len(demo_store.imports()) == imports_before + 1


@pytest.mark.parametrize("case", REPAIRED, ids=lambda case: case.file)
def test_repairable_geometry_warning_is_shown_by_the_command_line(
    case: Repaired, demo_store: Store
) -> None:
    args = ["import", "boundaries", str(CORPUS / case.file), "--level", "3"]
    result = CliRunner().invoke(app, [*args, "--store", str(store_path(demo_store))])
    assert result.exit_code == 0, result.output
    place = f"warning: {Path(case.file).name}, row {case.row}, field 'geometry': "
    assert any(line.startswith(place) for line in result.output.splitlines()), result.output
    assert "imported (import #" in result.output


# -- the corpus itself ------------------------------------------------------------------------


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus_files() -> set[str]:
    return {
        str(path.relative_to(CORPUS))
        for path in CORPUS.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".md", ".pyc")
    }


def test_every_corpus_file_has_a_test_and_a_readme_line() -> None:
    tested = {case.file for case in CASES} | {case.file for case in REPAIRED}
    assert tested == corpus_files()
    assert len({case.file for case in CASES}) >= 30
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    missing = [file for file in sorted(tested) if f"`{file}`" not in readme]
    assert not missing, f"README.md has no line for {missing}"


def test_every_file_is_small() -> None:
    sizes = {file: (CORPUS / file).stat().st_size for file in corpus_files()}
    assert max(sizes.values()) < 128 * 1024, sizes


def test_the_generator_rebuilds_the_committed_corpus(tmp_path: Path) -> None:
    """Same file names; the files it writes itself are byte-identical (GDAL-written ones,
    .gpkg and zipped Shapefiles, may differ between GDAL/PROJ versions, so only exist)."""
    written = load_generator().build(tmp_path)
    rebuilt = {str(path.relative_to(tmp_path)) for path in written}
    assert rebuilt == corpus_files()
    for file in sorted(rebuilt):
        if Path(file).suffix in (".geojson", ".csv"):
            assert (tmp_path / file).read_bytes() == (CORPUS / file).read_bytes(), file
