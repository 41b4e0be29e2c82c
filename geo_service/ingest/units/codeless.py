"""Boundary rows without a code (communes and villages) take a code the store or a person
gives them, never one made up.

A row is matched by name within its parent to a unit already stored, and takes its code.
Its parent is its parent code, else the unit its province and district names match in the
store. Matching is the registers' own (``registers.matching.UnitMatcher``: accents,
case, spacing and type words do not count; no guesses), and so is the reviewed mapping
file (``registers.mapping``): a row the mapping names takes the code written there, ahead
of any name match. ``registers.match_report.MatchReport`` receives every row, so
``--mapping-template`` writes those still without a code, with suggestions.

Every code taken is a warning in the import's report naming the row, its name, its parent
and where the code came from ("a new code, not in the store" when the mapping gives one
the store lacks). A row left without a code, a mapped code that is malformed or names a
stored unit of another level or parent, a code another row of the file has, and a
mapping row that names no codeless row of the file are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo_service.domain import Level
from geo_service.ingest.registers.mapping import Mapping, MappingEntry, name_key
from geo_service.ingest.registers.match_report import Kind, Lookup, MatchReport, Placed, RowMatch
from geo_service.ingest.registers.matching import UnitMatcher
from geo_service.ingest.report import ValidationReport
from geo_service.ingest.units.codes import PARENT_LEVELS, PATTERNS, RULES
from geo_service.ingest.units.source import SOURCE_ATTR, ParentNames, UnitSource, unit_source
from geo_service.ingest.units.tree import ANYWHERE

_KINDS: dict[int, Kind] = {int(Level.COMMUNE): "commune", int(Level.VILLAGE): "village"}
_LEVEL_WORDS = {1: "province", 2: "district", 3: "commune", 4: "village"}
_HOW_TO_MAP = "give its code in a mapping file (--mapping; --mapping-template writes one)"


@dataclass
class _Stored:
    """What the store holds, for the messages and the checks of mapped codes."""

    units: pd.DataFrame
    names: dict[str, str] = field(init=False)
    levels: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        codes = self.units["code"].tolist()
        self.names = dict(zip(codes, self.units["name"].tolist(), strict=True))
        self.levels = dict(zip(codes, self.units["level"].tolist(), strict=True))

    def shown(self, code: str) -> str:
        name = self.names.get(code)
        return f"{code} ({name})" if name else code

    def parents(self, code: str) -> set[str]:
        rows = self.units.loc[self.units["code"] == code, "parent_code"]
        return {parent for parent in rows.tolist() if isinstance(parent, str)}


@dataclass
class _Row:
    """One codeless row of the file."""

    position: int
    row: int
    kind: Kind
    level: Level
    name: str
    parent: str  # code; "" when neither the file nor its names give one
    names: ParentNames
    parent_by_names: bool = False

    def parent_shown(self, held: _Stored) -> str:
        if not self.parent:
            return "no parent"
        shown = f"parent {held.shown(self.parent)}"
        if self.parent_by_names:
            given = " / ".join(f"'{n}'" for n in (self.names.province, self.names.district) if n)
            shown += f", found by the names {given}"
        return shown


def settle_codes(
    units: pd.DataFrame,
    stored: pd.DataFrame,
    mapping: Mapping | None,
    report: ValidationReport,
    matches: MatchReport,
) -> pd.DataFrame:
    """``units`` with a code for each codeless row (``unit_source(units).codeless``), and
    the parent its names found; problems and decisions go into ``report`` (the boundary
    file's; a mapping file's own rows into a part named after it)."""
    source = unit_source(units)
    codes = units["code"].to_numpy(dtype=object).copy()
    parents = units["parent_code"].to_numpy(dtype=object).copy()
    reviewed = mapping or Mapping("")
    mapping_report = report.part(reviewed.file)
    held = _Stored(stored)
    matcher = UnitMatcher(stored)  # names only: the mapping is read here, to say which row
    used: set[int] = set()
    levels = units["level"].tolist()
    for position, names in source.codeless.items():
        row = _row(units, source, position, Level(levels[position]), names)
        lookup = _by_name(matcher, row, report.file)
        entry = _mapped(reviewed, row)
        if entry is not None:
            used.add(entry.row)
            if not row.parent and entry.parent_code:
                row.parent = entry.parent_code
            if _check_mapped(entry, row, held, mapping_report):
                codes[position] = entry.code
                _decided(report, source, row, held, _from_mapping(entry, reviewed.file, held))
            lookup = Lookup(row.kind, row.name, row.parent, "matched", "mapping", entry.code)
        elif lookup.kind == row.kind and lookup.ok:
            codes[position] = lookup.code
            found = f"the stored {row.kind} '{lookup.name}', matched by name"
            _decided(report, source, row, held, f"{lookup.code}, {found}")
        else:
            lookup = _undecided(report, source, row, lookup, held)
        parents[position] = row.parent or None
        matches.add(_matched(report.file, row, lookup))
    _unused_entries(reviewed, used, report.file, mapping_report)
    _check_clashes(units, source, codes, report)
    settled = units.assign(
        code=pd.array(codes, dtype="str"), parent_code=pd.array(parents, dtype="str")
    )
    settled.attrs[SOURCE_ATTR] = source
    return settled


def _row(
    units: pd.DataFrame, source: UnitSource, position: int, level: Level, names: ParentNames
) -> _Row:
    parent = units["parent_code"].iat[position]
    return _Row(
        position,
        source.rows[position],
        _KINDS[int(level)],
        level,
        str(units["name"].iat[position]),
        parent if isinstance(parent, str) else ANYWHERE,
        names,
    )


def _by_name(matcher: UnitMatcher, row: _Row, file: str) -> Lookup:
    """The stored unit named like the row within its parent; the row's parent is set from
    its province and district names when it gives no parent code."""
    scratch = ValidationReport(file)  # the matcher's messages speak of registers
    at = (scratch, row.row)
    if row.parent and row.kind == "village":
        return matcher.village(row.name, row.parent, at=at, field=None)
    if row.parent:
        return matcher.commune_in([row.parent], row.name, at=at, field=None)
    if row.kind == "commune" and (row.names.province or row.names.district):
        lookup = matcher.commune(
            code="",
            name=row.name,
            district=row.names.district,
            province=row.names.province,
            on=None,
            at=at,
            fields={},
        )
        if lookup.kind == "commune":
            row.parent, row.parent_by_names = lookup.parent_code, True
        return lookup
    return Lookup(row.kind, row.name, ANYWHERE, "unmatched", reason="no parent given")


def _mapped(mapping: Mapping, row: _Row) -> MappingEntry | None:
    """The mapping's entry for the row: under its parent or anywhere; for a row whose
    parent is unknown, the one entry of its kind and name under any parent."""
    entry = mapping.find(row.kind, [row.parent, ANYWHERE], row.name)
    if entry is not None or row.parent:
        return entry
    key = name_key(row.name)
    named = [e for (kind, _, k), e in mapping.entries.items() if kind == row.kind and k == key]
    return named[0] if len(named) == 1 else None


def _check_mapped(
    entry: MappingEntry, row: _Row, held: _Stored, problems: ValidationReport
) -> bool:
    """Whether the mapped code fits the row: its level's pattern, and, when the store holds
    the code, a unit of the row's level under the row's parent."""
    level = held.levels.get(entry.code)
    field, message = entry.field, ""
    if not re.fullmatch(PATTERNS[row.level], entry.code):
        message = f"'{entry.code}' is not valid: {RULES[row.level]}"
    elif level is not None and level != int(row.level):
        what = _LEVEL_WORDS.get(level, "unit")
        message = f"{held.shown(entry.code)} is a {what} in the store, not a {row.kind}"
    elif level is not None and row.parent and row.parent not in _ancestors(held, entry.code):
        listed = ", ".join(sorted(held.parents(entry.code))) or "no unit"
        message = (
            f"{row.kind} {held.shown(entry.code)} is under {listed} in the store, not "
            f"under {held.shown(row.parent)}"
        )
    elif row.parent and not _may_be_parent(held, row):
        field = "parent_code"
        levels = " or ".join(_LEVEL_WORDS[int(p)] for p in PARENT_LEVELS[row.level])
        message = f"parent_code '{row.parent}' is not a {levels} in the store"
    if message:
        problems.error(message, row=entry.row, field=field, code="mapping")
    return not message


def _ancestors(held: _Stored, code: str) -> set[str]:
    parents = held.parents(code)
    return parents | {grand for parent in parents for grand in held.parents(parent)}


def _may_be_parent(held: _Stored, row: _Row) -> bool:
    level = held.levels.get(row.parent)
    return level is None or level in {int(p) for p in PARENT_LEVELS[row.level]}


def _from_mapping(entry: MappingEntry, file: str, held: _Stored) -> str:
    if entry.code in held.names:
        return f"{held.shown(entry.code)}, from {file} row {entry.row}"
    return f"{entry.code} from {file} row {entry.row}: a new code, not in the store"


def _decided(
    report: ValidationReport, source: UnitSource, row: _Row, held: _Stored, what: str
) -> None:
    report.warning(
        f"'{row.name}' ({row.parent_shown(held)}) has no code: took {what}",
        row=row.row,
        field=source.field("code"),
        code="code_settled",
    )


def _undecided(
    report: ValidationReport, source: UnitSource, row: _Row, lookup: Lookup, held: _Stored
) -> Lookup:
    """The error of a row left without a code; the lookup the mapping template lists."""
    if lookup.kind != row.kind:  # its province or district names matched no stored unit
        why = f"its {lookup.kind} '{lookup.given_name}' is {lookup.status} in the store"
        lookup = Lookup(row.kind, row.name, ANYWHERE, "unmatched", reason=why)
    elif not row.parent:
        parent_words = " or ".join(_LEVEL_WORDS[int(p)] for p in PARENT_LEVELS[row.level])
        why = f"no parent: the file gives no {parent_words} code or name for it"
    elif lookup.status == "ambiguous":
        listed = ", ".join(f"{code} ({name})" for code, name in lookup.candidates)
        why = f"several stored {row.kind}s under {held.shown(row.parent)} match it: {listed}"
    else:
        why = f"no stored {row.kind} under {held.shown(row.parent)} is named so"
        if lookup.suggestions:
            why += (
                " (did you mean "
                + ", ".join(f"'{name}' {code}" for code, name, _ in lookup.suggestions)
                + "?)"
            )
    report.error(
        f"'{row.name}' has no code, and {why}; {_HOW_TO_MAP}",
        row=row.row,
        field=source.field("code"),
        code="unmatched" if lookup.status != "ambiguous" else "ambiguous",
    )
    return lookup


def _matched(file: str, row: _Row, lookup: Lookup) -> RowMatch:
    placed = Placed(lookup, file, row.row, None)
    if row.kind == "commune":
        return RowMatch(file, row.row, row.name, placed, None)
    return RowMatch(file, row.row, row.name, None, placed)


def _unused_entries(
    mapping: Mapping, used: set[int], file: str, problems: ValidationReport
) -> None:
    for entry in mapping.entries.values():
        if entry.row not in used:
            under = f" under {entry.parent_code}" if entry.parent_code else ""
            problems.error(
                f"no row of {file} without a code is a {entry.kind} named "
                f"'{entry.given_name}'{under}",
                row=entry.row,
                field="given_name",
                code="mapping",
            )


def _check_clashes(
    units: pd.DataFrame, source: UnitSource, codes: np.ndarray, report: ValidationReport
) -> None:
    """A code taken may not be a code of another row of the file (same validity start)."""
    starts = [str(start) for start in units["valid_from"].tolist()]
    taken: dict[tuple[str, str], int] = {}
    for position, (code, start) in enumerate(zip(codes.tolist(), starts, strict=True)):
        if isinstance(code, str) and position not in source.codeless:
            taken.setdefault((code, start), source.rows[position])
    for position in source.codeless:
        code = codes[position]
        if not isinstance(code, str):
            continue
        other = taken.setdefault((code, starts[position]), source.rows[position])
        if other != source.rows[position]:
            report.error(
                f"the code {code} taken for '{units['name'].iat[position]}' is also the "
                f"code of row {other}",
                row=source.rows[position],
                field=source.field("code"),
                code="duplicate_code",
            )
