"""Match register rows to units: by code first, then a reviewed mapping, then by name
within the parent.

Never guesses: a name that matches no unit or several is an error that lists the
candidates and fuzzy suggestions for a person to choose from. The unit tree is read once
per import; names are analysed only under the parents a register names (the villages of
one commune, the communes of one district), so a register touching a few communes never
analyses the whole country's names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

import pandas as pd

from geo_service.domain import Level
from geo_service.ingest.readers.tables import Problems
from geo_service.ingest.registers.mapping import Mapping
from geo_service.ingest.registers.match_report import Kind, Lookup
from geo_service.ingest.registers.name_index import NameMatch, decided_by_key
from geo_service.ingest.registers.replaced_units import Replacement, Replacements, UnitHistory
from geo_service.ingest.units.tree import ANYWHERE, UnitTree
from geo_service.values import member_of

COMMUNE_CODE_DIGITS = 5


class NamedPlaces(NamedTuple):
    """What one model of a register names: its commune (code, or name within district
    and province) and the villages of its teams."""

    code: str
    province: str
    district: str
    commune: str
    villages: list[str]


def commune_code(given: str) -> str:
    """A commune code as typed: Excel drops the leading zeros of numbers."""
    if given.isdigit() and len(given) < COMMUNE_CODE_DIGITS:
        return given.zfill(COMMUNE_CODE_DIGITS)
    return given


class UnitMatcher:
    """Looks names and codes up in one unit tree (all dates); reports into ``problems``.

    ``history`` (lineage, former names) turns a commune name that no unit standing on the
    row's date has into suggestions of the units that replaced it (``replaced_units``).
    """

    def __init__(
        self,
        units: pd.DataFrame,
        mapping: Mapping | None = None,
        history: UnitHistory | None = None,
    ) -> None:
        self._units = units
        self._tree = UnitTree(units)
        self._mapping = mapping or Mapping("")
        self._replacements = Replacements(units, self._tree, history or UnitHistory())
        # (parent, name) -> the tree's answer, by level: see ``prepare`` and ``_lookup``.
        self._decided: dict[Level, dict[tuple[str, str], NameMatch]] = {
            level: {} for level in Level
        }
        self._names: dict[tuple[str, str], str] = {}

    def prepare(self, models: Iterable[NamedPlaces]) -> None:
        """Match the names a register gives all at once, before its rows are read one by
        one: ``commune`` and ``village`` then find most answers ready. Only a guess at what
        they will ask (the mapping file is not consulted): a wrong guess costs time, never
        changes an answer, as the answers are the tree's own (see ``decided_by_key``)."""
        models = list(models)
        communes: list[tuple[str, str]] = []
        for model in models:
            if not model.code and model.commune:
                parent = self._parent(model.province, model.district)
                communes.append((parent or ANYWHERE, model.commune))
        self._prepare(Level.COMMUNE, communes)
        villages: list[tuple[str, str]] = []
        for model in models:
            if model.code:
                code: str | None = commune_code(model.code)
            else:
                parent = self._parent(model.province, model.district)
                found = self._lookup(Level.COMMUNE, parent or ANYWHERE, model.commune)
                code = found.code if parent is not None and found.status == "exact" else None
            villages.extend((code, name) for name in model.villages if code)
        self._prepare(Level.VILLAGE, villages)

    def _parent(self, province: str, district: str) -> str | None:
        """The unit a commune named with these is looked up under, when they match."""
        under = ANYWHERE
        for given, level in ((province, Level.PROVINCE), (district, Level.DISTRICT)):
            if given:
                found = self._lookup(level, under, given)
                if found.status != "exact":
                    return None
                under = str(found.code)
        return under

    def _prepare(self, level: Level, wanted: Iterable[tuple[str, str]]) -> None:
        """Decide ``(parent code, name)`` of ``level`` column-wise, for ``_lookup``."""
        above, decided = Level(level - 1), self._decided[level]
        # A commune under its province is left to the tree (it looks under its districts).
        asked = {(p, name) for p, name in wanted if (p, name) not in decided}
        asked = {(p, name) for p, name in asked if self._tree.is_at(p, above)}
        if not asked:
            return
        units = self._units
        parents = {parent for parent, _ in asked}
        # The rows the tree's lookup would see, in the same order (UnitTree.rows_under).
        rows = units.loc[
            (units["level"] == int(level)).to_numpy() & member_of(units["parent_code"], parents),
            ["code", "name", "parent_code", "unit_type"],
        ]
        decided.update(decided_by_key(rows, asked, level))

    def _lookup(self, level: Level, parent: str, name: str) -> NameMatch:
        """The tree's answer, looked up once per name."""
        decided = self._decided[level]
        found = decided.get((parent, name))
        if found is None:
            found = decided[parent, name] = self._tree.lookup(level, parent, name)
        return found

    # -- the mapping file -------------------------------------------------------------------

    def check_mapping(self, problems: Problems) -> None:
        """Every mapped code must exist, at the right level and under the given parent."""
        tree = self._tree
        for entry in self._mapping.entries.values():
            if entry.skips or entry.kind == "type":  # types: see ``TypeLookup``
                continue
            level = Level.COMMUNE if entry.kind == "commune" else Level.VILLAGE
            parents = tree.parents(entry.code)
            ancestors = parents | {g for p in parents for g in tree.parents(p)}
            if not tree.is_at(entry.code, level):
                message = f"there is no {entry.kind} with code '{entry.code}'"
            elif entry.parent_code and entry.parent_code not in ancestors:
                message = (
                    f"{entry.kind} {entry.code} ({tree.name(entry.code)}) is not under "
                    f"'{entry.parent_code}'"
                )
            else:
                continue
            problems.error(message, row=entry.row, field=entry.field, code="mapping")

    # -- communes ---------------------------------------------------------------------------

    def commune(
        self,
        *,
        code: str,
        name: str,
        district: str,
        province: str,
        on: date | None,
        at: tuple[Problems, int],
        fields: dict[str, str],
    ) -> Lookup:
        """The commune of a model: from "Mã xã", else from its name within district/province.

        ``at`` is where problems go and the row they name; ``fields`` the headers.
        """
        problems, row = at
        if code:
            return self._commune_by_code(code, name, on, problems, row, fields)
        if not name:
            reason = "no commune given: fill in 'Mã xã' or 'Xã/Phường'"
            problems.error(
                reason, row=row, field=fields.get("commune_name") or fields.get("commune_code")
            )
            return Lookup("commune", name, ANYWHERE, "unmatched", reason=reason)
        parents: list[str] = []
        levels: tuple[tuple[Kind, str, Level], ...] = (
            ("province", province, Level.PROVINCE),
            ("district", district, Level.DISTRICT),
        )
        named = [(kind, given, level) for kind, given, level in levels if given]
        for position, (kind, given, level) in enumerate(named):
            under = parents[-1] if parents else ANYWHERE
            match = self._lookup(level, under, given)
            if match.status == "ambiguous":
                lower = [(lvl, text) for _, text, lvl in named[position + 1 :]]
                settled = self._settled(match.candidates, [*lower, (Level.COMMUNE, name)], on)
                if settled is not None:
                    parents.append(settled)
                    continue
            field = fields.get(f"{kind}_name")
            found = self._resolve(kind, match, given, under, problems, row, field)
            if not found.ok:
                return found
            parents.append(str(found.code))
        return self.commune_in(
            [*reversed(parents), ANYWHERE], name, at=at, field=fields.get("commune_name"), on=on
        )

    def commune_in(
        self,
        parents: list[str],
        name: str,
        *,
        at: tuple[Problems, int],
        field: str | None,
        on: date | None = None,
    ) -> Lookup:
        """The commune named ``name`` under the first of ``parents`` (codes, nearest first;
        ANYWHERE last for everywhere): from the mapping, else by name under the first.

        A name of a commune that had ended by ``on`` (a launch date), or a former name, is
        no match: the units that replaced it are suggested."""
        under = parents[0]
        mapped = self._mapped("commune", parents, name, under)
        if mapped is not None:
            return mapped
        problems, row = at
        match = self._lookup(Level.COMMUNE, under, name)
        fate = self._replacements.ended_by(str(match.code), on) if match.code else None
        if fate is not None:
            replaced = self._replacements.successors(fate)
            reason = f"it had ended by {on}"
            return self._unmatched("commune", name, under, at, field, reason, replaced)
        replaced = ()
        if match.status == "unmatched":
            replaced = self._replacements.by_former_name(Level.COMMUNE, under, name, on)
        return self._resolve("commune", match, name, under, problems, row, field, replaced)

    def _settled(
        self, candidates: Iterable[str], lower: list[tuple[Level, str]], on: date | None
    ) -> str | None:
        """The one of several units of one name (a province or district of two boundary
        versions: "Tỉnh Bắc Ninh" 27 before 2025, 24 after) under which the row's lower
        levels are found, else the one of those that existed on the launch date."""
        fits = [code for code in candidates if self._lower_levels_found(code, lower)]
        if len(fits) > 1 and on is not None:
            fits = [code for code in fits if self._tree.existed_on(code, on)]
        return fits[0] if len(fits) == 1 else None

    def _lower_levels_found(self, under: str, lower: list[tuple[Level, str]]) -> bool:
        for level, given in lower:
            found = self._lookup(level, under, given)
            if found.status != "exact":
                return False
            under = str(found.code)
        return True

    def _commune_by_code(
        self,
        code: str,
        name: str,
        on: date | None,
        problems: Problems,
        row: int,
        fields: dict[str, str],
    ) -> Lookup:
        code = commune_code(code)
        field = fields.get("commune_code")

        def refused(
            reason: str,
            problem: str,
            advice: str = "",
            candidates: tuple[tuple[str, str], ...] = (),
        ) -> Lookup:
            """The row's error, and its unmatched lookup for the match report."""
            problems.error(reason + advice, row=row, field=field, code=problem)
            return Lookup(
                "commune",
                name,
                ANYWHERE,
                "unmatched",
                given_code=code,
                candidates=candidates,
                reason=reason,
            )

        if not self._tree.is_at(code, Level.COMMUNE):
            return refused(f"unknown commune code '{code}'", "unknown_code")
        if name and self._tree.names_of(code).lookup(name, code).status != "exact":
            known = " / ".join(self._tree.names(code))
            reason = f"commune code {code} is {known}, not '{name}'"
            return refused(reason, "conflict", "; correct the code or the name", ((code, known),))
        if on is not None and not self._tree.existed_on(code, on):
            problems.warning(
                f"commune {code} did not exist on {on.isoformat()}", row=row, field=field
            )
        return Lookup(
            "commune", name, ANYWHERE, "matched", "code", code, self._name(code), given_code=code
        )

    # -- villages ---------------------------------------------------------------------------

    def village(
        self,
        name: str,
        commune_code: str,
        *,
        code: str = "",
        at: tuple[Problems, int],
        field: str | None,
        code_field: str | None = None,
    ) -> Lookup:
        problems, row = at
        if code:
            if commune_code in self._tree.parents(code):
                return Lookup(
                    "village",
                    name,
                    commune_code,
                    "matched",
                    "code",
                    code,
                    self._name(code),
                    given_code=code,
                )
            reason = f"no village with code '{code}' in commune {self._where(commune_code)}"
            problems.error(reason, row=row, field=code_field, code="unknown_code")
            return Lookup(
                "village", name, commune_code, "unmatched", given_code=code, reason=reason
            )
        mapped = self._mapped("village", [commune_code], name, commune_code)
        if mapped is not None:
            return mapped
        match = self._lookup(Level.VILLAGE, commune_code, name)
        return self._resolve("village", match, name, commune_code, problems, row, field)

    # -- shared -----------------------------------------------------------------------------

    def _mapped(self, kind: Kind, parents: list[str], name: str, under: str) -> Lookup | None:
        """What a reviewed mapping says of ``name``: a match, a skip, or (a code the store
        lacks, reported by ``check_mapping``) no match; None when it says nothing."""
        entry = self._mapping.find(kind, parents, name) if self._mapping.entries else None
        if entry is None:
            return None
        if entry.skips:
            reason = entry.why_skipped(self._mapping.file)
            return Lookup(kind, name, under, "skipped", "mapping", reason=reason)
        level = Level.COMMUNE if kind == "commune" else Level.VILLAGE
        if not self._tree.is_at(entry.code, level):
            reason = f"{self._mapping.file}, row {entry.row} names {kind} code '{entry.code}', "
            return Lookup(kind, name, under, "unmatched", reason=reason + "which the store lacks")
        named = self._name(entry.code, under if kind == "village" else ANYWHERE)
        return Lookup(kind, name, under, "matched", "mapping", entry.code, named)

    def _name(self, code: str, parent: str = ANYWHERE) -> str:
        # A register names the same provinces, districts and communes on row after row.
        named = self._names.get((code, parent))
        if named is None:
            named = self._names[code, parent] = self._tree.name(code, parent)
        return named

    def _where(self, code: str) -> str:
        return f"{code} ({self._name(code)})"

    def _resolve(
        self,
        kind: Kind,
        match: NameMatch,
        name: str,
        parent: str,
        problems: Problems,
        row: int,
        field: str | None,
        replaced: tuple[Replacement, ...] = (),
    ) -> Lookup:
        if match.status == "exact":
            code = str(match.code)
            return Lookup(kind, name, parent, "matched", "name", code, self._name(code, parent))
        candidates = tuple((c, self._name(c, parent)) for c in match.candidates)
        if match.status == "ambiguous":
            listed = ", ".join(f"{c} ({n})" for c, n in candidates)
            problems.error(
                f"'{name}' matches several {kind}s: {listed}; use the code or a mapping file",
                row=row,
                field=field,
                code="ambiguous",
            )
            return Lookup(kind, name, parent, "ambiguous", candidates=candidates)
        # Same name, other explicit type ("Xóm 4" for "Thôn 4"): say so, never match it.
        reason = match.reason if match.other_type else ""
        return self._unmatched(
            kind, name, parent, (problems, row), field, reason, replaced, match.suggestions
        )

    def _unmatched(
        self,
        kind: Kind,
        name: str,
        parent: str,
        at: tuple[Problems, int],
        field: str | None,
        reason: str,
        replaced: tuple[Replacement, ...] = (),
        suggestions: tuple[tuple[str, str, float], ...] = (),
    ) -> Lookup:
        """The row's error and its unmatched lookup, with what to suggest instead."""
        what = f"village in commune {self._where(parent)}" if kind == "village" else kind
        if kind != "village" and parent:
            what = f"{kind} in {self._where(parent)}"
        offered = [f"'{n}' ({c}: {why})" for c, n, why in replaced]
        offered += [f"'{n}' ({c}, score {s:.0f})" for c, n, s in suggestions]
        hint = f"; did you mean {', '.join(offered)}?" if offered else ""
        at[0].error(
            f"no {what} named '{name}'" + (f" ({reason})" if reason else "") + hint,
            row=at[1],
            field=field,
            code="unmatched",
        )
        return Lookup(
            kind,
            name,
            parent,
            "unmatched",
            suggestions=suggestions,
            reason=reason,
            replaced_by=replaced,
        )
