"""Map a boundary file's own columns onto ``domain.UNIT_COLUMNS``.

Field names differ between sources (``ma_xa``, ``gso_commune_code_2019``, ``code``…); they
are found by accent- and case-insensitive aliases unless given. A unit's type and level
come from ``ingest.units.levels``. Every problem names the file, the row (1-based feature
number, or spreadsheet row for tables) and the column. The work is done a column at a
time, each distinct value once (``ingest.units.cells``, text kept in Arrow by
``ingest.units.text_columns``): a national village file has 80,000 rows. Repeated codes
and village names are found by ``ingest.units.duplicates``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS

from geo_service.domain import (
    GEOMETRY_NONE,
    GEOMETRY_SURVEYED,
    UNIT_COLUMNS,
    WGS84,
    Level,
)
from geo_service.ingest.crs import to_wgs84
from geo_service.ingest.report import ValidationReport
from geo_service.ingest.units.cells import (
    Distinct,
    RowProblems,
    column_values,
    counts,
    dates,
    text,
    unsafe_text,
)
from geo_service.ingest.units.codes import code_problems, parent_problems
from geo_service.ingest.units.duplicates import UnitCells, check_duplicates
from geo_service.ingest.units.levels import level_cells, levels_of_types, unit_types
from geo_service.ingest.units.source import SOURCE_ATTR, ParentNames, UnitSource
from geo_service.ingest.units.text_columns import (
    code_texts,
    column_texts,
    distinct_texts,
    per_row,
    text_column,
)
from geo_service.keys import combined_keys
from geo_service.text.names import fold, nfc_each

_DISTRICT_CODES = ("district_code", "ma_huyen", "gso_district_code_2019")
_PROVINCE_CODES = ("province_code", "ma_tinh")
_COMMUNE_CODES = ("ma_xa", "commune_code", "gso_commune_code_2019")
_ALIASES: dict[str, tuple[str, ...]] = {
    "code": (
        "code",
        "ma",
        "ma_don_vi",
        "ma_xa",
        "ma_dvhc",
        "gso_code",
        "gso_commune_code_2019",
        "commune_code",
    ),
    "name": ("name", "ten", "ten_don_vi", "ten_xa", "fullname", "commune_vn", "name_vi"),
    # Commune codes last: they name the parent only when another column is the code.
    "parent": ("parent_code", "ma_cha", *_DISTRICT_CODES, *_PROVINCE_CODES, *_COMMUNE_CODES),
    "type": ("unit_type", "loai", "type"),
    "level": ("level", "cap"),
    "population": ("population", "dan_so", "danso"),
    "households": ("households", "so_ho"),
    "valid_from": ("valid_from",),
    "valid_to": ("valid_to",),
    # The parent's names: a row without a code is matched within the parent they name.
    "province_name": ("province_vn", "ten_tinh", "tinh", "province_name", "province"),
    "district_name": ("district_vn", "ten_huyen", "huyen", "district_name", "district"),
}
# A file of one level names its own code and its parent's differently (a village file's
# ma_xa is the parent commune, a district file's ma_huyen is the district itself).
_LEVEL_ALIASES: dict[Level, dict[str, tuple[str, ...]]] = {
    Level.PROVINCE: {
        "code": ("code", "ma", "ma_tinh", "province_code", "gso_code"),
        "parent": ("parent_code", "ma_cha"),
    },
    Level.DISTRICT: {
        "code": ("code", "ma", "ma_huyen", "district_code", "gso_code", "gso_district_code_2019"),
        "parent": ("parent_code", "ma_cha", *_PROVINCE_CODES),
    },
    Level.VILLAGE: {
        "code": ("code", "ma", "ma_thon", "village_code", "ma_don_vi"),
        "name": ("name", "ten", "ten_thon", "ten_don_vi", "name_vi"),
        "parent": ("parent_code", "ma_cha", *_COMMUNE_CODES),
    },
}
_ROW_INDEX_NAMES = ("feature", "row")  # read_boundaries numbers rows as problems do
# Levels whose rows may come without a code (a mapping file can name them).
_CODES_LATER = (Level.COMMUNE, Level.VILLAGE)
_PARENT_NAMES = ("province_name", "district_name")


@dataclass(frozen=True)
class _Fields:
    """Column of the raw frame for each role (None when absent)."""

    columns: dict[str, str | None]
    other_names: tuple[str, ...]  # further name columns ("fullName") to find a type word in

    def __getitem__(self, role: str) -> str | None:
        return self.columns.get(role)


def normalise_units(
    raw: gpd.GeoDataFrame,
    *,
    file_name: str,
    level: int | None,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    type_field: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    source: str = "",
    codes_later: bool = False,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Units with exactly ``UNIT_COLUMNS`` + geometry (EPSG:4326), one per raw row, in order.

    ``raw`` is ``read_boundaries`` output (index = feature number or spreadsheet row) or
    any GeoDataFrame. Fields not given are detected from common column names;
    ``valid_from``/``valid_to`` given here apply to every row, else date columns of
    those names are used. A missing code is an error, except, with ``codes_later``, for
    a commune or a village: its code stays empty and ``unit_source(units).codeless``
    lists it for ``ingest.units.codeless`` to settle against the store.
    """
    report = ValidationReport(file_name)
    if level is not None and level not in {int(v) for v in Level}:
        report.error(f"level must be 1-4, not {level}", field="level")
        return _empty_units(), report
    file_level = Level(level) if level is not None else None
    frame = raw if raw.crs is None or CRS(raw.crs).equals(WGS84) else to_wgs84(raw)
    given = {"code": code_field, "name": name_field, "parent": parent_field, "type": type_field}
    fields = _resolve_fields(frame, file_level, given, report)
    if not report.ok:
        return _empty_units(), report
    numbered = frame.index.name in _ROW_INDEX_NAMES
    rows = frame.index.to_numpy().tolist() if numbered else list(range(1, len(frame) + 1))
    problems = RowProblems(rows)
    later = _CODES_LATER if codes_later else ()
    table, cells = _unit_table(frame, fields, file_level, (valid_from, valid_to), problems, later)
    problems.report_to(report)
    check_duplicates(table, cells, rows, (fields["code"], fields["name"]), report)
    labels = _label_points(np.asarray(frame.geometry.values, dtype=object))
    units = _assemble(table, frame, source, *labels)
    # Later checks (e.g. parents against the store) name the file's own rows and columns.
    columns = {role: fields[role] for role in ("code", "name", *_PARENT_NAMES)}
    units.attrs[SOURCE_ATTR] = UnitSource(
        rows,
        {"parent_code": fields["parent"], **columns},
        _parent_names(frame, fields, table["code"].isna().to_numpy() if codes_later else None),
    )
    return units, report


def _parent_names(
    frame: gpd.GeoDataFrame, fields: _Fields, codeless: np.ndarray | None
) -> dict[int, ParentNames]:
    """The province and district names of the rows without a code."""
    if codeless is None or not codeless.any():
        return {}
    province, district = (column_values(frame, fields[role]) for role in _PARENT_NAMES)
    return {
        position: ParentNames(text(province[position]) or "", text(district[position]) or "")
        for position in np.flatnonzero(codeless).tolist()
    }


def _unit_table(
    frame: gpd.GeoDataFrame,
    fields: _Fields,
    file_level: Level | None,
    given_dates: tuple[date | None, date | None],
    problems: RowProblems,
    codes_later: tuple[Level, ...] = (),
) -> tuple[pd.DataFrame, UnitCells]:
    """The unit columns, parsed a column at a time; problems are steps 0-10 of each row."""
    names = _names(frame, fields, problems)
    levels = (
        np.full(len(frame), int(file_level), dtype=np.int8)
        if file_level is not None
        else level_cells(distinct_texts(frame, fields["level"]), fields["level"], problems)
    )
    types = unit_types(
        distinct_texts(frame, fields["type"]),
        names,
        [distinct_texts(frame, c) for c in fields.other_names],
        levels,
        (fields["type"], fields["name"]),
        problems,
    )
    levels = levels_of_types(levels, types, fields["name"], problems)
    code_values = code_texts(frame, fields["code"], levels)
    for position in _null_positions(code_values):
        if levels[position] not in codes_later:
            problems.add(position, 4, "missing code", fields["code"], "missing_value")
    for position, message in code_problems(code_values, levels):
        problems.add(position, 4, message, fields["code"], "invalid_code")
    parents = _parents(frame, levels, fields, problems)
    for position, message in parent_problems(parents, levels):
        problems.add(position, 5, message, fields["parent"] or "parent_code", "invalid_code")
    population = counts(frame, fields["population"], 6, problems)
    households = counts(frame, fields["households"], 7, problems)
    start, end = given_dates
    starts = _given(start, len(frame)) if start else dates(frame, fields["valid_from"], 8, problems)
    ends = _given(end, len(frame)) if end else dates(frame, fields["valid_to"], 9, problems)
    _check_periods(starts, ends, fields, problems)
    stored_names = _stored_names(names)
    table = pd.DataFrame(
        {
            "code": text_column(code_values),
            "name": text_column(per_row(stored_names)),
            "unit_type": text_column(per_row(types)),
            "level": pd.arrays.IntegerArray(levels.astype(np.int64), levels == 0),
            "parent_code": text_column(parents),
            "population": population,
            "households": households,
            "valid_from": starts.objects(),
            "valid_to": ends.objects(),
        }
    )
    return table, UnitCells(code_values, stored_names, types, levels, parents, starts)


def _given(day: date, count: int) -> Distinct[date | None]:
    return Distinct(np.zeros(count, dtype=np.intp), [day])


def _names(frame: gpd.GeoDataFrame, fields: _Fields, problems: RowProblems) -> Distinct[str | None]:
    """Names as text; a missing name, a formula or markup is an error (step 0)."""
    names = distinct_texts(frame, fields["name"])
    for position in names.rows_where(lambda name: name is None):
        problems.add(position, 0, "missing name", fields["name"], "missing_value")
    column = fields["name"] or "name"
    unsafe = names.map(lambda name: unsafe_text(name, column) if name else None)
    for position in unsafe.rows_where(lambda problem: problem is not None):
        message, code = unsafe.value(position)  # type: ignore[misc]  # not None here
        problems.add(position, 0, message, fields["name"], code)
    # One error is enough: no type is looked for in such a name.
    safe = zip(names.parsed, unsafe.parsed, strict=True)
    return Distinct(names.positions, [None if problem else name for name, problem in safe])


def _parents(
    frame: gpd.GeoDataFrame, levels: np.ndarray, fields: _Fields, problems: RowProblems
) -> pa.Array:
    """Parent codes; a village without one is an error (step 5)."""
    parents = column_texts(frame, fields["parent"])
    if not parents.null_count:
        return parents
    orphans = np.asarray(parents.is_null()) & (levels == int(Level.VILLAGE))
    for position in np.flatnonzero(orphans).tolist():
        problems.add(
            position,
            5,
            "a village needs its commune's code (parent)",
            fields["parent"] or "parent_code",
            "missing_value",
        )
    return parents


def _null_positions(values: pa.Array) -> list[int]:
    if not values.null_count:
        return []
    return np.flatnonzero(np.asarray(values.is_null())).tolist()


def _check_periods(
    starts: Distinct[date | None],
    ends: Distinct[date | None],
    fields: _Fields,
    problems: RowProblems,
) -> None:
    if all(end is None for end in ends.parsed):
        return
    key, first = combined_keys([starts.positions, ends.positions])
    pairs = Distinct(key, [(starts.value(row), ends.value(row)) for row in first])
    for position in pairs.rows_where(_ends_too_early):
        start, end = pairs.value(position)
        problems.add(
            position,
            10,
            f"valid_to {end} is not after valid_from {start}",
            fields["valid_to"] or "valid_to",
            "invalid",
        )


def _ends_too_early(period: tuple[date | None, date | None]) -> bool:
    start, end = period
    return isinstance(start, date) and isinstance(end, date) and end <= start


def _resolve_fields(
    frame: gpd.GeoDataFrame,
    level: Level | None,
    given: dict[str, str | None],
    report: ValidationReport,
) -> _Fields:
    by_fold: dict[str, str] = {}
    for column in frame.columns:
        if column != frame.geometry.name:
            by_fold.setdefault(fold(str(column)).replace(" ", "_"), str(column))
    aliases = {**_ALIASES, **_LEVEL_ALIASES.get(level, {})} if level else _ALIASES
    columns: dict[str, str | None] = {}
    for role, candidates in aliases.items():
        wanted = given.get(role)
        if wanted is not None:
            columns[role] = by_fold.get(fold(wanted).replace(" ", "_"))
            if columns[role] is None:
                report.error(
                    f"column '{wanted}' not found; columns: {', '.join(by_fold.values())}",
                    field=wanted,
                    code="missing_column",
                )
            continue
        taken = {c for c in columns.values() if c}
        columns[role] = next(
            (by_fold[a] for a in candidates if a in by_fold and by_fold[a] not in taken), None
        )
    for role in ("code", "name"):
        if columns.get(role) is None and given.get(role) is None:
            report.error(
                f"no {role} column found (looked for {', '.join(aliases[role])}); "
                f"name it with --{role}-field",
                field=role,
                code="missing_column",
            )
    others = tuple(
        by_fold[a] for a in aliases["name"] if a in by_fold and by_fold[a] != columns.get("name")
    )
    return _Fields(columns, others)


def _stored_names(names: Distinct[str | None]) -> Distinct[str | None]:
    """Names as stored: NFC with old-style tones and single spaces (``names.nfc``)."""
    given = [name for name in names.parsed if name]
    normalised = iter(nfc_each(given))
    return Distinct(names.positions, [next(normalised) if name else None for name in names.parsed])


def _label_points(shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which rows have a geometry, and a point inside each (the map's label)."""
    present = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    return present, shapely.point_on_surface(shapes)


def _assemble(
    table: pd.DataFrame,
    frame: gpd.GeoDataFrame,
    source: str,
    present: np.ndarray,
    labels: np.ndarray,
) -> gpd.GeoDataFrame:
    geometry = frame.geometry.values
    table["geometry_quality"] = pd.array(
        pc.if_else(pa.array(present), GEOMETRY_SURVEYED, GEOMETRY_NONE), dtype="str"
    )
    table["label_lon"] = shapely.get_x(labels)
    table["label_lat"] = shapely.get_y(labels)
    table["source"] = source
    return gpd.GeoDataFrame(table[UNIT_COLUMNS], geometry=geometry, crs=WGS84)


def _empty_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns=UNIT_COLUMNS, geometry=[], crs=WGS84)
