"""Register rows grouped by model key -> model and team records, each row matched to units.

Model-level cells may be given on any row of the model (or on the models sheet) and
repeated, but never changed. Team-level cells describe their row's team or site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Literal, NamedTuple, TypeVar

from geo_service.ingest.readers.cells import Cell, cell_text, fold_header, parse_count, parse_date
from geo_service.ingest.readers.tables import Problems, Table
from geo_service.ingest.registers.locations import SOURCE_ROW, has_location
from geo_service.ingest.registers.match_report import MatchReport, Placed, RowMatch, not_checked
from geo_service.ingest.registers.matching import NamedPlaces, UnitMatcher
from geo_service.ingest.registers.personal_data import find_personal_data, personal_key
from geo_service.ingest.report import ValidationReport

T = TypeVar("T")
SheetRole = Literal["rows", "models", "teams"]

STATUS_WORDS = {
    "active": ["hoat dong", "hoat dong hieu qua", "hieu qua", "dang hoat dong", "active"],
    "ineffective": ["kem hieu qua", "hoat dong kem hieu qua", "chua hieu qua", "ineffective"],
    "merged": ["sap nhap", "da sap nhap", "merged"],
    "dissolved": ["giai the", "da giai the", "ngung hoat dong", "dissolved"],
    "planned": ["du kien", "ke hoach", "chua ra mat", "planned"],
}
MODEL_FIELDS = [
    "type",
    "model_name",
    "commune_code",
    "commune_name",
    "district_name",
    "province_name",
    "launch_date",
    "status",
    "tips",
    "valuable_tips",
    "tips_year",
    "decision",
    "extra",
]
COUNT_FIELDS = ["members", "households", "cameras"]
_PLACE_FIELDS = ["commune_code", "province_name", "district_name", "commune_name"]
_SAME_WHEN: dict[str, Callable[[Cell], object]] = {
    "type": lambda v: fold_header(cell_text(v)),
    "status": lambda v: fold_header(cell_text(v)),
    "launch_date": parse_date,
    "tips": parse_count,
    "valuable_tips": parse_count,
    "tips_year": parse_count,
    "commune_code": lambda v: cell_text(v).zfill(5),
}


@dataclass(frozen=True)
class Sheet:
    table: Table
    problems: Problems
    role: SheetRole

    @cached_property
    def model_fields(self) -> list[str]:
        """The model-level fields the sheet has columns for (every row has a cell for each)."""
        return [name for name in MODEL_FIELDS if name in self.table.columns]

    @cached_property
    def count_fields(self) -> list[str]:
        return [name for name in COUNT_FIELDS if name in self.table.columns]


@dataclass(slots=True)  # one per register row: not frozen, which is slow to create
class Row:
    sheet: Sheet
    number: int
    cells: dict[str, Cell]

    def text(self, name: str) -> str:
        return cell_text(self.cells.get(name))

    def header(self, name: str) -> str | None:
        return self.sheet.table.columns.get(name)

    @property
    def problems(self) -> Problems:
        return self.sheet.problems

    def place(self, other: Row) -> str:
        """How to name ``other`` in a message about this row."""
        if other.sheet is self.sheet:
            return f"row {other.number}"
        return f"{other.sheet.table.file_name}, row {other.number}"


@dataclass
class Catalogue:
    """What rows are checked against: units, model types, and where matches are recorded."""

    matcher: UnitMatcher
    type_codes: dict[str, str]
    matches: MatchReport


def build_models(
    groups: dict[str, list[Row]], catalogue: Catalogue, report: ValidationReport
) -> tuple[list[dict[str, Any]], list[dict[str, object]]]:
    """Model and team records of every model without errors; problems go to ``report``."""
    models: list[dict[str, Any]] = []
    teams: list[dict[str, object]] = []
    values = {key: _model_values(rows) for key, rows in groups.items()}
    catalogue.matcher.prepare(_named_places(groups, values))
    for key, rows in groups.items():
        start = len(report.problems)
        built = _build_model(key, rows, values[key], catalogue)
        failed = any(p.severity == "error" for p in report.problems[start:])
        if built is not None and not failed:
            models.append(built[0])
            teams.extend(built[1])
    return models, teams


def _named_places(
    groups: dict[str, list[Row]], values: dict[str, ModelValues]
) -> Iterator[NamedPlaces]:
    """The places each model names, as ``_build_model`` will read them."""
    for key, rows in groups.items():
        first = values[key].first
        code, province, district, commune = (
            cell_text(first[name][1]) if name in first else "" for name in _PLACE_FIELDS
        )
        villages = [
            name
            for row in rows
            if row.sheet.role != "models"
            and (name := row.text("village"))
            and not row.text("village_code")
        ]
        yield NamedPlaces(code, province, district, commune, villages)


class ModelValues(NamedTuple):
    """First value of each model-level field (with its row), and the later values that
    differ from it (row, field, value): rows may repeat a value, not change it."""

    first: dict[str, tuple[Row, Cell]]
    conflicts: list[tuple[Row, str, Cell]]

    def report_conflicts(self) -> None:
        for row, name, value in self.conflicts:
            first_row, first = self.first[name]
            row.problems.error(
                f"'{cell_text(value)}' conflicts with '{cell_text(first)}' given for the "
                f"same model on {row.place(first_row)}",
                row=row.number,
                field=row.header(name),
            )


def _model_values(rows: list[Row]) -> ModelValues:
    values: dict[str, tuple[Row, Cell]] = {}
    conflicts: list[tuple[Row, str, Cell]] = []
    for row in rows:
        cells = row.cells
        for name in row.sheet.model_fields:
            value = cells[name]
            if value is None or value == "":
                continue
            first = values.get(name)
            if first is None:
                values[name] = (row, value)
            elif not _repeated(first[1], value) and not _same(name, first[1], value):
                conflicts.append((row, name, value))
    return ModelValues(values, conflicts)


def _repeated(first: Cell, later: Cell) -> bool:
    """The same cell again (the common case), which ``_same`` would accept."""
    return type(first) is type(later) and first == later


def _same(name: str, first: Cell, later: Cell) -> bool:
    same_when = _SAME_WHEN.get(name, cell_text)
    try:
        return same_when(first) == same_when(later)
    except ValueError:
        return cell_text(first) == cell_text(later)


def _build_model(
    key: str, rows: list[Row], model_values: ModelValues, catalogue: Catalogue
) -> tuple[dict[str, Any], list[dict[str, object]]] | None:
    if model_values.conflicts:
        model_values.report_conflicts()
    values = model_values.first

    def text(name: str) -> str:
        return cell_text(values[name][1]) if name in values else ""

    def parsed(parser: Callable[[Cell], T], name: str) -> T | None:
        if name not in values:
            return None
        row, value = values[name]
        return _parsed(parser, value, row, name)

    first = rows[0]
    type_code = catalogue.type_codes.get(fold_header(text("type")))
    if type_code is None:
        row = values["type"][0] if "type" in values else first
        row.problems.error(
            f"unknown model type '{text('type')}'; use a code or name from the catalogue "
            "(GET /api/model-types)",
            row=row.number,
            field=row.header("type"),
        )
    launch = parsed(parse_date, "launch_date")
    status = _status(*values["status"]) if "status" in values else "active"
    commune = _match_commune(values, first, launch, catalogue.matcher)
    teams = _teams(key, rows, commune, catalogue)
    if commune.lookup.code is None or type_code is None:
        return None
    model = {
        "model_id": key,
        "type_code": type_code,
        "name": text("model_name") or key,
        "unit_code": commune.lookup.code,
        "launch_date": launch.isoformat() if launch else None,
        "status": status,
        **_totals(rows, teams),
        "tips": parsed(parse_count, "tips"),
        "valuable_tips": parsed(parse_count, "valuable_tips"),
        "tips_year": parsed(parse_count, "tips_year"),
        "decision": text("decision") or None,
        "extra": _extra(*values["extra"]) if "extra" in values else {},
    }
    return model, teams


def _match_commune(
    values: dict[str, tuple[Row, Cell]], first: Row, launch: date | None, matcher: UnitMatcher
) -> Placed:
    where = "commune_code" if "commune_code" in values else "commune_name"
    row = values[where][0] if where in values else first
    code, province, district, name = (
        cell_text(values[field][1]) if field in values else "" for field in _PLACE_FIELDS
    )
    lookup = matcher.commune(
        code=code,
        name=name,
        district=district,
        province=province,
        on=launch,
        at=(row.problems, row.number),
        fields=row.sheet.table.columns,
    )
    return Placed(lookup, row.sheet.table.file_name, row.number, row.header(where))


def _teams(
    key: str, rows: list[Row], commune: Placed, catalogue: Catalogue
) -> list[dict[str, object]]:
    teams: list[dict[str, object]] = []
    add = catalogue.matches.add
    for row in rows:
        village: Placed | None = None
        if row.sheet.role != "models":
            team, village = _team_row(key, len(teams), row, commune, catalogue.matcher)
            if team is not None:
                teams.append(team)
        add(RowMatch(row.sheet.table.file_name, row.number, key, commune, village))
    return teams


def _team_row(
    key: str, index: int, row: Row, commune: Placed, matcher: UnitMatcher
) -> tuple[dict[str, object] | None, Placed | None]:
    cells, sheet = row.cells, row.sheet
    counts: dict[str, int | None] = dict.fromkeys(COUNT_FIELDS)
    for name in sheet.count_fields:
        if (value := cells[name]) != "":
            counts[name] = _parsed(parse_count, value, row, name)
    village_name = cell_text(cells.get("village"))
    village_code = cell_text(cells.get("village_code"))
    team_name = cell_text(cells.get("team_name"))
    located = has_location(cells)
    if not (village_name or village_code or team_name or located) and all(
        v is None for v in counts.values()
    ):
        return None, None
    site, village = commune.lookup.code, None
    if village_name or village_code:
        columns = sheet.table.columns
        if site is None:
            lookup = not_checked("village", village_name, "the commune was not matched")
        else:
            lookup = matcher.village(
                village_name,
                site,
                code=village_code,
                at=(sheet.problems, row.number),
                field=columns.get("village"),
                code_field=columns.get("village_code"),
            )
        village = Placed(lookup, sheet.table.file_name, row.number, columns.get("village"))
        site = lookup.code
    if site is None:
        return None, village
    team: dict[str, object] = {
        "team_id": f"{key}/{index + 1:03d}",
        "model_id": key,
        "unit_code": site,
        "name": team_name or None,
        **counts,
        "leader_role": cell_text(cells.get("leader_role")) or None,
    }
    if located:
        team[SOURCE_ROW] = row  # for locations.locate_sites, which places the points
    return team, village


def _totals(rows: list[Row], teams: list[dict[str, object]]) -> dict[str, int | None]:
    """Sums over the teams; a models sheet may give totals for a model without teams, and
    a given total that disagrees with its teams is pointed out."""
    totals: dict[str, int | None] = dict.fromkeys(COUNT_FIELDS)
    for team in teams:
        for name in COUNT_FIELDS:
            if isinstance(count := team[name], int):  # parse_count's: an int or None
                totals[name] = (totals[name] or 0) + count
    for row in rows:
        if row.sheet.role != "models":
            continue
        for name in COUNT_FIELDS:
            given = _parsed(parse_count, row.cells.get(name), row, name)
            if given is None:
                continue
            if not teams:
                totals[name] = given
            elif totals[name] != given:
                row.problems.warning(
                    f"the model's total {given} differs from the sum over its teams "
                    f"({totals[name]}); the sum is kept",
                    row=row.number,
                    field=row.header(name),
                )
    return totals


def _parsed(parser: Callable[[Cell], T], value: Cell, row: Row, name: str) -> T | None:
    try:
        return parser(value)
    except ValueError as exc:
        row.problems.error(str(exc), row=row.number, field=row.header(name))
        return None


def _status(row: Row, value: Cell) -> str:
    folded = fold_header(cell_text(value))
    for status, words in STATUS_WORDS.items():
        if folded in words:
            return status
    row.problems.error(
        f"unknown status '{cell_text(value)}' (expected e.g. 'Hoạt động', 'Kém hiệu quả', "
        "'Đã sáp nhập', 'Giải thể')",
        row=row.number,
        field=row.header("status"),
    )
    return "active"


def _extra(row: Row, value: Cell) -> dict[str, float]:
    extra: dict[str, float] = {}
    field = row.header("extra")
    for part in filter(None, (p.strip() for p in cell_text(value).split(";"))):
        name, sep, number = part.partition("=")
        key = fold_header(name).replace(" ", "_")
        if refused := _personal_figure(key, number.strip()):
            row.problems.error(refused, row=row.number, field=field, code="personal_data")
            continue
        try:
            if not sep:
                raise ValueError
            extra[key] = float(number.strip().replace(",", "."))
        except ValueError:
            row.problems.error(f"'{part}' is not 'name=number'", row=row.number, field=field)
    return extra


def _personal_figure(key: str, number: str) -> str | None:
    """Why a figure is refused as personal data: its name ("sdt_to_truong"), or its value
    (a figure never starts with 0 or +, a phone or CCCD number does), else None."""
    if kind := personal_key(key):
        return (
            f"personal data is not accepted: the figure '{key}' is named like {kind}; "
            "figures are counts (names, phones and ID numbers belong in the members register)"
        )
    found = find_personal_data(number) if number.startswith(("0", "+")) else None
    return found.message() if found else None
