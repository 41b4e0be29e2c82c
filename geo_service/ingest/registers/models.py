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
from geo_service.ingest.registers.identity import derived_model_id
from geo_service.ingest.registers.locations import SOURCE_ROW, has_location
from geo_service.ingest.registers.match_report import MatchReport, Placed, RowMatch, not_checked
from geo_service.ingest.registers.matching import NamedPlaces, UnitMatcher
from geo_service.ingest.registers.model_cells import figures_of, status_of
from geo_service.ingest.registers.type_lookup import TypeLookup
from geo_service.ingest.report import ValidationReport

T = TypeVar("T")
SheetRole = Literal["rows", "models", "teams"]

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
    types: TypeLookup
    matches: MatchReport


def build_models(
    groups: dict[str, list[Row]], catalogue: Catalogue, report: ValidationReport
) -> tuple[list[dict[str, Any]], list[dict[str, object]]]:
    """Model and team records of every model without errors; problems go to ``report``."""
    models: list[dict[str, Any]] = []
    teams: list[dict[str, object]] = []
    values = {key: _model_values(rows) for key, rows in groups.items()}
    catalogue.matcher.prepare(_named_places(groups, values))
    first_row: dict[str, Row] = {}  # derived model key -> the row that gave it first
    for key, rows in groups.items():
        start = len(report.problems)
        built = _build_model(key, rows, values[key], catalogue)
        failed = any(p.severity == "error" for p in report.problems[start:])
        if built is None or failed:
            continue
        model_id = built[0]["model_id"]
        if model_id != key:  # derived: two spellings of one model are one row too many
            earlier = first_row.setdefault(model_id, rows[0])
            if earlier is not rows[0]:
                _same_model_twice(rows[0], earlier)
                continue
        models.append(built[0])
        teams.extend(built[1])
    return models, teams


def _same_model_twice(row: Row, earlier: Row) -> None:
    row.problems.error(
        f"this row gives the same model as {row.place(earlier)} (same commune, type, name "
        "and launch date) written another way; write it alike, or give the model a "
        "different name",
        row=row.number,
        field=row.header("model_name") or row.header("type"),
        code="duplicate_model",
    )


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
    type_row = values["type"][0] if "type" in values else first
    model_type = Placed(
        catalogue.types.lookup(
            text("type"), type_row.problems, type_row.number, type_row.header("type")
        ),
        type_row.sheet.table.file_name,
        type_row.number,
        type_row.header("type"),
    )
    type_code = model_type.lookup.code
    if model_type.lookup.status == "skipped":  # its commune and villages do not matter
        for row in rows:
            _record(
                catalogue,
                RowMatch(row.sheet.table.file_name, row.number, key, None, None, model_type),
                row,
            )
        return None
    launch = parsed(parse_date, "launch_date")
    status = "active"
    if "status" in values:
        row, cell = values["status"]
        status = status_of(cell, row.problems, row.number, row.header("status"))
    commune = _match_commune(values, first, launch, catalogue.matcher)
    if "model_key" not in first.sheet.table.columns and commune.lookup.code and type_code:
        key = derived_model_id(commune.lookup.code, type_code, text("model_name"), launch)
    teams = _teams(key, rows, commune, model_type, catalogue)
    if commune.lookup.code is None or type_code is None:
        return None
    model = {
        "model_id": key,
        "type_code": type_code,
        "name": text("model_name") or model_type.lookup.name or key,
        "unit_code": commune.lookup.code,
        "launch_date": launch.isoformat() if launch else None,
        "status": status,
        **_totals(rows, teams),
        "tips": parsed(parse_count, "tips"),
        "valuable_tips": parsed(parse_count, "valuable_tips"),
        "tips_year": parsed(parse_count, "tips_year"),
        "decision": text("decision") or None,
        "extra": _figures(values["extra"]) if "extra" in values else {},
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
    key: str, rows: list[Row], commune: Placed, model_type: Placed, catalogue: Catalogue
) -> list[dict[str, object]]:
    """The model's teams; every row goes into the match report (with the type on the
    row that gave it), and rows a reviewed mapping skips are reported as skipped."""
    teams: list[dict[str, object]] = []
    for row in rows:
        village: Placed | None = None
        if row.sheet.role != "models":
            team, village = _team_row(key, len(teams), row, commune, catalogue.matcher)
            if team is not None:
                teams.append(team)
        typed = model_type if model_type.row == row.number else None
        _record(
            catalogue,
            RowMatch(row.sheet.table.file_name, row.number, key, commune, village, typed),
            row,
        )
    return teams


def _record(catalogue: Catalogue, match: RowMatch, row: Row) -> None:
    """Into the match report; a row a reviewed mapping skips is a warning saying why."""
    catalogue.matches.add(match)
    if (skipped := match.skipped_by) is not None:
        row.problems.warning(
            f"row skipped: {skipped.kind} '{skipped.given_name}' {skipped.reason}",
            row=row.number,
            code="skipped",
        )


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


def _figures(given: tuple[Row, Cell]) -> dict[str, float]:
    row, cell = given
    return figures_of(cell, row.problems, row.number, row.header("extra"))


def _parsed(parser: Callable[[Cell], T], value: Cell, row: Row, name: str) -> T | None:
    try:
        return parser(value)
    except ValueError as exc:
        row.problems.error(str(exc), row=row.number, field=row.header(name))
        return None
