"""Matching names to units: ``NameIndex`` (by parent and key) and ``lookup_among``.

Never guesses. Names are compared by their keys (``names.analyse``: NFC, tone placement,
đ, type words and abbreviations, ordinals); several candidates are narrowed by their
explicit type, then by exact spelling; below certainty there are only suggestions
(rapidfuzz), for a person to confirm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from geo_service.domain import Level
from geo_service.text.name_endings import KeyEndings, last_word
from geo_service.text.names import LONGEST_TYPE_WORDS, NameKeys, analyse
from geo_service.values import member_of

MatchStatus = Literal["exact", "ambiguous", "unmatched"]
SUGGESTION_CUTOFF = 70.0
SUGGESTION_LIMIT = 3
_UNASKED = NameKeys("", None, "", "", "")  # keys no lookup asks for
_RARE = 8  # a name under at most this many parents is tested parent by parent


class NameMatch(NamedTuple):  # a tuple: a register makes one per row, and tuples are cheap
    """Result of a lookup. Suggestions are for a person to confirm, never applied."""

    status: MatchStatus
    code: str | None = None
    candidates: tuple[str, ...] = ()
    suggestions: tuple[tuple[str, str, float], ...] = ()  # (code, name, score 0-100)
    reason: str = ""
    other_type: bool = False  # unmatched because the units so named are of another type


class _Entry(NamedTuple):  # a tuple: indexes of 80,000 villages create many
    code: str
    name: str
    unit_type: str | None
    keys: NameKeys


def _types_agree(asked: str | None, found: str | None) -> bool:
    if asked is None or found is None or asked == found:
        return True
    return {asked, found} == {"thanh_pho", "thanh_pho_tw"}


# (parent, key) -> entries by (code, unit type): a code reused across a reform with another
# type ("Thị trấn Thiệu Hóa" -> "Xã Thiệu Hóa", both 15772) keeps both of its types.
_Table = dict[tuple[str | None, str], dict[tuple[str, str | None], _Entry]]


class NameIndex:
    """Units by (parent code, folded match key); built once, looked up many times.

    ``rows`` are ``(code, name, parent_code)`` or ``(code, name, parent_code, unit_type)``;
    without a unit type the type word of the name is used. Names are compared without
    accents; among several candidates the explicit type, then the exact spelling (accents
    included: "Minh Quán" is not "Minh Quân") decide. Fuzzy matching runs only on a miss
    and only among the children of the same parent.
    """

    def __init__(self, rows: Iterable[Sequence[str | None]], level: Level | None = None) -> None:
        self._level = level
        self._by_key: _Table = defaultdict(dict)
        self._entries: list[tuple[str | None, _Entry]] = []
        # Needed only when the first lookup attempt fails: built then (most lookups succeed,
        # and a register builds one small index per commune it names).
        self._secondary: tuple[_Table, dict[str | None, list[_Entry]]] | None = None
        self._choices: dict[str | None, list[str]] = {}
        for row in rows:
            self._add(row)

    def _add(self, row: Sequence[str | None]) -> None:
        code, name, parent = str(row[0]), str(row[1]), row[2]
        keys = analyse(name, self._level)
        unit_type = (row[3] if len(row) > 3 else None) or keys.unit_type
        # _make builds the tuple without the keyword handling of the generated __new__
        entry = _Entry._make((code, keys.name, unit_type, keys))
        self._entries.append((parent, entry))
        self._secondary = None
        ident = (code, unit_type)
        by_key = self._by_key
        by_key[parent, keys.key][ident] = entry
        if keys.literal != keys.key:
            by_key[parent, keys.literal][ident] = entry

    def _tables(self) -> tuple[_Table, dict[str | None, list[_Entry]]]:
        """Units by whole-name key, and each parent's children (once per code and key)."""
        if self._secondary is None:
            by_whole_key: _Table = defaultdict(dict)
            children: dict[str | None, list[_Entry]] = defaultdict(list)
            listed: set[tuple[str | None, str, str]] = set()
            for parent, entry in self._entries:
                by_whole_key[parent, entry.keys.whole_key][entry.code, entry.unit_type] = entry
                if (parent, entry.code, entry.keys.key) not in listed:
                    listed.add((parent, entry.code, entry.keys.key))
                    children[parent].append(entry)
            self._secondary = (by_whole_key, children)
            self._choices.clear()
        return self._secondary

    def __len__(self) -> int:
        return sum(len(children) for children in self._tables()[1].values())

    def lookup(self, name: str, parent_code: str | None) -> NameMatch:
        """Find ``name`` among the children of ``parent_code``.

        Tried in order: the name without its type word; the whole name (a bare "Sóc Sơn"
        against "Huyện Sóc Sơn"); the name against whole unit names. The first attempt
        with candidates of an agreeing type decides.
        """
        asked = analyse(name, self._level)
        if not asked.key:
            return NameMatch("unmatched", reason="empty name")
        attempts = [
            (asked.key, asked.spelled, asked.unit_type, False),
            (asked.whole_key, asked.whole_spelled, None, False),
            (asked.key, asked.spelled, asked.unit_type, True),
            (asked.literal, asked.spelled, asked.unit_type, False),
        ]
        accented = not asked.name.isascii()  # an unaccented query cannot pick by accents
        conflict: NameMatch | None = None
        for key, spelled, unit_type, against_whole in attempts:
            table = self._tables()[0] if against_whole else self._by_key
            found = table.get((parent_code, key))
            if not found:
                continue
            spelled_like = {
                e.code
                for e in found.values()
                if accented
                and spelled == (e.keys.whole_spelled if against_whole else e.keys.spelled)
            }
            match = _decide(list(found.values()), spelled_like, unit_type, asked.name, parent_code)
            if match.status != "unmatched":
                return match
            conflict = conflict or match
        return conflict or NameMatch(
            "unmatched",
            suggestions=self._suggest(asked, parent_code),
            reason=f"no unit named '{asked.name}' under {parent_code!r}",
        )

    def _suggest(self, asked: NameKeys, parent: str | None) -> tuple[tuple[str, str, float], ...]:
        found = {
            code: (code, name, score) for code, name, score in self._misspelt_type(asked, parent)
        }
        for code, name, score in self._similar(asked.key, parent) + self._longer(asked, parent):
            if score > found.get(code, ("", "", 0.0))[2]:
                found[code] = (code, name, score)
        ranked = sorted(found.values(), key=lambda suggestion: -suggestion[2])
        return tuple(ranked[:SUGGESTION_LIMIT])

    def _misspelt_type(self, asked: NameKeys, parent: str | None) -> list[tuple[str, str, float]]:
        """Units whose name is the asked one with its first words read as a type word:
        "Thhôn 3", "Thôm 3" -> "Thôn 3" (and only "Thôn 3", not "Thôn 8"); "Tổổ dân phố 3"."""
        if asked.unit_type is not None:
            return []
        words = asked.name.split(" ")
        scored = []
        for skipped in range(1, min(len(words), LONGEST_TYPE_WORDS + 1)):
            rest_key = analyse(" ".join(words[skipped:]), self._level).key
            for entry in self._by_key.get((parent, rest_key), {}).values():
                score = round(fuzz.ratio(asked.whole_key, entry.keys.whole_key), 1)
                if entry.unit_type is not None and score >= SUGGESTION_CUTOFF:
                    scored.append((entry.code, entry.name, score))
        return scored

    def _longer(self, asked: NameKeys, parent: str | None) -> list[tuple[str, str, float]]:
        """Units whose name has every word of the asked one and more: "Tổ dân phố 1" ->
        "Tổ dân phố 1 Tiền Huân", "Tổ dân phố 1 Viên Sơn" (a name cut short)."""
        words = set(asked.key.split())
        return [
            (e.code, e.name, round(fuzz.token_set_ratio(asked.key, e.keys.key), 1))
            for e in self._tables()[1].get(parent, ())
            if words < set(e.keys.key.split())
        ]

    def _similar(self, key: str, parent: str | None) -> list[tuple[str, str, float]]:
        children = self._tables()[1].get(parent)
        if not children:
            return []
        choices = self._choices.get(parent)
        if choices is None:
            choices = self._choices[parent] = [_sorted_words(e.keys.key) for e in children]
        # ratio on words sorted once per choice is token_sort_ratio without sorting every
        # choice again at each lookup; WRatio's
        # partial matching ranks "ho" above "thai hoa" for "thai hoax", so it is not used.
        best = process.extract(
            _sorted_words(key),
            choices,
            scorer=fuzz.ratio,
            limit=SUGGESTION_LIMIT,
            score_cutoff=SUGGESTION_CUTOFF,
        )
        return [(children[i].code, children[i].name, round(score, 1)) for _, score, i in best]


def lookup_among(
    rows: Sequence[Sequence[str | None]], name: str, parent: str | None, level: Level | None
) -> NameMatch:
    """``NameIndex(rows, level).lookup(name, parent)``, for units looked up once or twice
    (the villages of one commune in a register): the first attempt, by the name's key, scans
    the rows; only when it does not decide is the index built."""
    asked = analyse(name, level)
    found: dict[tuple[str, str | None], _Entry] = {}
    for row in rows if asked.key else ():
        if row[2] != parent:
            continue
        keys = analyse(str(row[1]), level)
        if asked.key in (keys.key, keys.literal):
            unit_type = (row[3] if len(row) > 3 else None) or keys.unit_type
            found[str(row[0]), unit_type] = _Entry._make((str(row[0]), keys.name, unit_type, keys))
    decided = _by_key(asked, found, parent)
    return decided or NameIndex(rows, level).lookup(name, parent)


def decided_by_key(
    units: pd.DataFrame, wanted: Iterable[tuple[str, str]], level: Level | None
) -> dict[tuple[str, str], NameMatch]:
    """The first attempt of ``lookup_among`` for many ``(parent, name)`` at once.

    ``units`` (columns code, name, parent_code, unit_type) are the units of all the parents,
    in the order ``lookup_among`` would see them. Only the names this attempt decides are
    answered; the others need the later attempts, so they are left out.

    A register asks for thousands of villages, each in its own commune: each distinct unit
    name is analysed once and the units whose key is asked for are found column-wise, so
    Python touches only those, not every village of every commune named.
    """
    asked: dict[tuple[str, str], NameKeys] = {}
    for parent, name in wanted:
        keys = analyse(name, level)
        if keys.key:
            asked[parent, name] = keys
    unnamed = units["name"].isna().to_numpy()
    if unnamed.any():  # none in a valid store; the tree reads them its own way
        left = set(units.loc[unnamed, "parent_code"].tolist())
        asked = {pair: keys for pair, keys in asked.items() if pair[0] not in left}
        units = units.loc[~unnamed]
    name_ids, distinct = pd.factorize(units["name"])
    parent_ids, parents = pd.factorize(units["parent_code"], use_na_sentinel=False)
    needed = _names_to_analyse(name_ids, parent_ids, distinct.tolist(), parents.tolist(), asked)
    # The others cannot have an asked key: not analysed, their keys stay "".
    analysed = [
        analyse(str(name), level) if need else _UNASKED
        for name, need in zip(distinct.tolist(), needed, strict=True)
    ]
    # (parent, key) as one integer: parent slot * width + key slot.
    key_slot: dict[str, int] = {}
    key_ids = [key_slot.setdefault(k.key, len(key_slot)) for k in analysed]
    literal_ids = [key_slot.setdefault(k.literal, len(key_slot)) for k in analysed]
    width, parent_slot = len(key_slot), {parent: i for i, parent in enumerate(parents.tolist())}
    asked_pairs = [
        parent_slot[parent] * width + key_slot[keys.key]
        for (parent, _), keys in asked.items()
        if parent in parent_slot and keys.key in key_slot
    ]
    row_parent = parent_ids.astype(np.int64) * width
    hits = np.isin(row_parent + np.asarray(key_ids, dtype=np.int64)[name_ids], asked_pairs)
    hits |= np.isin(row_parent + np.asarray(literal_ids, dtype=np.int64)[name_ids], asked_pairs)
    positions = np.flatnonzero(hits)
    hit = units.iloc[positions]
    # A code whose name changed between versions keeps one spelling per path: such keys go
    # the row-by-row way, so both paths always answer alike.
    spellings = units.loc[member_of(units["code"], hit["code"].unique()), ["code", "name"]]
    renamed = set(spellings.drop_duplicates().loc[lambda f: f["code"].duplicated(), "code"])
    declined: set[tuple[str, str]] = set()
    found: dict[tuple[str, str], dict[tuple[str, str | None], _Entry]] = defaultdict(dict)
    for code, parent, given_type, name_id in zip(
        hit["code"].tolist(),
        hit["parent_code"].tolist(),
        hit["unit_type"].tolist(),
        name_ids[positions].tolist(),
        strict=True,
    ):
        keys = analysed[name_id]
        unit_type = (given_type if isinstance(given_type, str) else None) or keys.unit_type
        entry = _Entry._make((str(code), keys.name, unit_type, keys))
        for key in (keys.key, keys.literal) if keys.literal != keys.key else (keys.key,):
            found[parent, key][entry.code, unit_type] = entry
            if code in renamed:
                declined.add((parent, key))
    decided = {}
    for pair, keys in asked.items():
        if (pair[0], keys.key) in declined:
            continue
        entries = found.get((pair[0], keys.key))
        if entries and (match := _by_key(keys, entries, pair[0])) is not None:
            decided[pair] = match
    return decided


def _names_to_analyse(
    name_ids: np.ndarray,
    parent_ids: np.ndarray,
    names: list[object],
    parents: list[object],
    asked: dict[tuple[str, str], NameKeys],
) -> list[bool]:
    """Which distinct names may have a key asked under one of their parents.

    A name seen under many parents ("Thôn 3") is tested against the keys asked anywhere;
    a rarer one (a commune's own name) only against those asked under its parents, which
    spares analysing the whole district to find the one commune asked for.
    """
    everywhere = KeyEndings(keys.key for keys in asked.values())
    keys_under: dict[object, list[str]] = defaultdict(list)
    for (parent, _), keys in asked.items():
        keys_under[parent].append(keys.key)
    last = [last_word(str(name)) for name in names]
    seen = np.bincount(name_ids, minlength=len(names))
    needed = [bool(n > _RARE) and everywhere.may_end(w) for n, w in zip(seen, last, strict=True)]
    rare = np.flatnonzero(seen[name_ids] <= _RARE)
    by_parent: dict[object, KeyEndings] = {}
    for name_id, parent_id in zip(name_ids[rare].tolist(), parent_ids[rare].tolist(), strict=True):
        if not needed[name_id]:
            endings = by_parent.get(parent_id)
            if endings is None:
                endings = by_parent[parent_id] = KeyEndings(keys_under[parents[parent_id]])
            needed[name_id] = endings.may_end(last[name_id])
    return needed


def _by_key(
    asked: NameKeys, found: dict[tuple[str, str | None], _Entry], parent: str | None
) -> NameMatch | None:
    """The decision among the units whose key is the asked name's, if it is one."""
    if not found:
        return None
    if len(found) == 1:  # the common case, as _decide would decide it
        (entry,) = found.values()
        if _types_agree(asked.unit_type, entry.unit_type):
            return NameMatch("exact", code=entry.code)
    accented = not asked.name.isascii()
    spelled_like = {e.code for e in found.values() if accented and asked.spelled == e.keys.spelled}
    match = _decide(list(found.values()), spelled_like, asked.unit_type, asked.name, parent)
    return match if match.status != "unmatched" else None


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))


def _decide(
    found: list[_Entry],
    spelled_like: set[str],
    asked_type: str | None,
    name: str,
    parent: str | None,
) -> NameMatch:
    """One code, several, or none when every candidate has a different explicit type."""
    agreeing = [e for e in found if _types_agree(asked_type, e.unit_type)]
    if not agreeing:
        types = ", ".join(sorted({str(e.unit_type) for e in found}))
        return NameMatch(
            "unmatched",
            suggestions=_each_code_once(found),
            reason=f"'{name}' is a {asked_type} but the unit found is a {types}",
            other_type=True,
        )
    narrowed = agreeing
    if len(narrowed) > 1 and asked_type is not None:
        narrowed = [e for e in narrowed if e.unit_type == asked_type] or narrowed
    if len(narrowed) > 1:
        narrowed = [e for e in narrowed if e.code in spelled_like] or narrowed
    if len({e.code for e in narrowed}) == 1:
        return NameMatch("exact", code=narrowed[0].code)
    suggestions = _each_code_once(narrowed)
    return NameMatch(
        "ambiguous",
        candidates=tuple(code for code, _, _ in suggestions),
        suggestions=suggestions,
        reason=f"{len(narrowed)} units under {parent!r} are named like '{name}'",
    )


def _each_code_once(entries: list[_Entry]) -> tuple[tuple[str, str, float], ...]:
    seen: dict[str, tuple[str, str, float]] = {}
    for entry in entries:
        seen.setdefault(entry.code, (entry.code, entry.name, 100.0))
    return tuple(seen.values())
