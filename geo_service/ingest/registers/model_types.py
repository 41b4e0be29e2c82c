"""Model types the way registers write them: free text → one catalogue code, or a reported
"unmatched" / "ambiguous" with ranked suggestions (issue 13, item 2).

Every name of a type is one of its *aliases*: its ``code``, ``name_vi``, ``name_en`` and each
entry of the catalogue's ``aliases`` column (entries separated by ``|`` or by line breaks
inside the cell, so a province adds its own in a spreadsheet). Texts and aliases are
compared as words of ``text.names.fold`` (accents, case, đ, tone placement, punctuation and
spacing do not count); spelled-out initialisms ("P.C.C.C") are joined into one word.

A text names a type when one of its aliases occurs in it as a whole run of words: "Tổ tuần
tra nhân dân thôn Đông" names ``patrol_team`` through "tổ tuần tra nhân dân". An alias whose
words lie inside a longer alias found in the same text is a less specific reading of those
words and gives way to it: "Tổ tự quản liên gia" is ``inter_household_group``, though "tổ tự
quản" alone is ``self_managed_group``. What remains must name one type; otherwise the text
is ambiguous and a person decides: "Tổ tuần tra và camera an ninh" names two. Fuzzy scores
(rapidfuzz) only rank suggestions; they never make a match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from geo_service.text.names import fold

ALIAS_COLUMN = "aliases"
NAME_COLUMNS = ("code", "name_vi", "name_en")
_ALIAS_SEPARATOR = re.compile(r"[|\r\n]+")
SUGGESTION_LIMIT = 3
SUGGESTION_CUTOFF = 70.0  # rapidfuzz ratio, 0-100: below it a type is not worth showing

Status = Literal["matched", "unmatched", "ambiguous"]
Words = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A type a person might have meant, with how close the text came to one of its aliases."""

    code: str
    name_vi: str
    score: float  # rapidfuzz ratio of the type's closest alias and the text, 0-100
    alias: str  # that alias, as the catalogue writes it


@dataclass(frozen=True, slots=True)
class TypeMatch:
    """How one free text was matched.

    ``matched``: ``code`` is the type, ``alias`` the catalogue alias that decided.
    ``ambiguous``: ``candidates`` are the types the text names, most specific first.
    ``unmatched``: no alias occurs in the text (or the text is empty).
    ``suggestions``: closest types by fuzzy score, for the review file; for an ambiguous
    text exactly its candidates.
    """

    text: str
    status: Status
    code: str | None = None
    alias: str | None = None
    candidates: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()


@dataclass(frozen=True, slots=True)
class _Occurrence:
    start: int
    end: int
    words: Words

    @property
    def size(self) -> int:
        return self.end - self.start

    def inside(self, other: _Occurrence) -> bool:
        """Whether ``other`` covers these words and more."""
        return other.start <= self.start and self.end <= other.end and other.size > self.size


def alias_words(text: str) -> Words:
    """The words matching compares: folded, with spelled-out initialisms joined.

    >>> alias_words("Khu dân cư an toàn về P.C.C.C")
    ('khu', 'dan', 'cu', 'an', 'toan', 've', 'pccc')
    """
    words: list[str] = []
    letters: list[str] = []
    for word in fold(text).split():
        if len(word) == 1 and word.isalpha():
            letters.append(word)
            continue
        words.extend(_joined(letters))
        letters = []
        words.append(word)
    words.extend(_joined(letters))
    return tuple(words)


def _joined(letters: list[str]) -> list[str]:
    return ["".join(letters)] if len(letters) > 1 else letters


def split_aliases(cell: object) -> list[str]:
    """The aliases written in one ``aliases`` cell (``|`` or line breaks between them)."""
    if not isinstance(cell, str):
        return []  # an empty cell read as NaN
    return [alias.strip() for alias in _ALIAS_SEPARATOR.split(cell) if alias.strip()]


def type_aliases(catalogue: pd.DataFrame) -> dict[str, list[str]]:
    """Every alias of every type as written: code, names, then the ``aliases`` column.

    A catalogue without that column (or with it empty) has its codes and names.
    """
    columns = [column for column in (*NAME_COLUMNS, ALIAS_COLUMN) if column in catalogue]
    found: dict[str, list[str]] = {}
    for record in catalogue[columns].itertuples(index=False):
        values = dict(zip(columns, record, strict=True))
        written = [str(values[c]) for c in NAME_COLUMNS if c in values and pd.notna(values[c])]
        written += split_aliases(values.get(ALIAS_COLUMN))
        found.setdefault(str(values["code"]), []).extend(w for w in written if w.strip())
    return found


def read_catalogue(path: Path) -> pd.DataFrame:
    """A catalogue CSV (the bundled ``catalogue/model_types.csv`` or a province's copy),
    every column as text."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


class ModelTypeMatcher:
    """Free text → model type, by the aliases of a catalogue (see the module docstring)."""

    def __init__(self, catalogue: pd.DataFrame) -> None:
        self._names = dict(
            zip(catalogue["code"].astype(str), catalogue["name_vi"].astype(str), strict=True)
        )
        self._codes: dict[Words, set[str]] = {}
        self._written: dict[Words, str] = {}
        for code, aliases in type_aliases(catalogue).items():
            for alias in aliases:
                words = alias_words(alias)
                if words:
                    self._codes.setdefault(words, set()).add(code)
                    self._written.setdefault(words, alias)
        self._longest = max((len(words) for words in self._codes), default=0)
        self._choice_words = list(self._codes)
        self._choices = [" ".join(words) for words in self._choice_words]
        self._choices_by_size: dict[int, NDArray[np.intp]] = {}
        for size in {len(words) for words in self._choice_words}:
            self._choices_by_size[size] = np.flatnonzero(
                [len(words) == size for words in self._choice_words]
            )
        self._seen: dict[str, TypeMatch] = {}

    @classmethod
    def from_csv(cls, path: Path) -> ModelTypeMatcher:
        return cls(read_catalogue(path))

    def conflicts(self) -> dict[str, list[str]]:
        """Aliases that name more than one type (each makes its texts ambiguous)."""
        return {
            self._written[words]: sorted(codes)
            for words, codes in self._codes.items()
            if len(codes) > 1
        }

    def match_all(self, texts: Iterable[str]) -> list[TypeMatch]:
        return [self.match(text) for text in texts]

    def match(self, text: str) -> TypeMatch:
        """The type ``text`` names; registers repeat their type texts, so each is worked
        out once."""
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self._match(text)
        return found

    def _match(self, text: str) -> TypeMatch:
        words = alias_words(text)
        if not words:
            return TypeMatch(text, "unmatched")
        kept = self._most_specific(self._occurrences(words))
        span: dict[str, int] = {}
        for occurrence in kept:
            for code in self._codes[occurrence.words]:
                span[code] = max(span.get(code, 0), occurrence.size)
        if len(span) == 1:
            (code,) = span
            decided = max(kept, key=lambda occurrence: occurrence.size)
            return TypeMatch(text, "matched", code, self._written[decided.words])
        if span:
            suggestions = self._suggestions(words, set(span))
            by_score = {suggestion.code: suggestion.score for suggestion in suggestions}
            ranked = sorted(span, key=lambda code: (-span[code], -by_score[code], code))
            order = {code: position for position, code in enumerate(ranked)}
            suggestions.sort(key=lambda suggestion: order[suggestion.code])
            return TypeMatch(
                text, "ambiguous", candidates=tuple(ranked), suggestions=tuple(suggestions)
            )
        best = self._suggestions(words, None)[:SUGGESTION_LIMIT]
        return TypeMatch(text, "unmatched", suggestions=tuple(best))

    def _occurrences(self, words: Words) -> list[_Occurrence]:
        found = []
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + self._longest) + 1):
                if words[start:end] in self._codes:
                    found.append(_Occurrence(start, end, words[start:end]))
        return found

    @staticmethod
    def _most_specific(found: list[_Occurrence]) -> list[_Occurrence]:
        return [one for one in found if not any(one.inside(other) for other in found)]

    def _suggestions(self, words: Words, only: set[str] | None) -> list[Suggestion]:
        """Types by their closest alias, best first: every type of ``only``, or those
        scoring at least ``SUGGESTION_CUTOFF``.

        An alias is scored against the whole text and against every run of as many words
        (rapidfuzz ``ratio``, 0-100), so "Tổ tuần tre nhân dân thị trấn Thứa" is as close to
        "tổ tuần tra nhân dân" as its first five words are.
        """
        scores = process.cdist([" ".join(words)], self._choices, scorer=fuzz.ratio)[0]
        for size, positions in self._choices_by_size.items():
            if size < len(words):
                runs = [" ".join(words[at : at + size]) for at in range(len(words) - size + 1)]
                choices = [self._choices[position] for position in positions]
                best_run = process.cdist(runs, choices, scorer=fuzz.ratio).max(axis=0)
                scores[positions] = np.maximum(scores[positions], best_run)
        cutoff = 0.0 if only is not None else SUGGESTION_CUTOFF
        best: dict[str, Suggestion] = {}
        for position in np.flatnonzero(scores >= cutoff):
            score, words_of_alias = float(scores[position]), self._choice_words[position]
            for code in self._codes[words_of_alias]:
                wanted = only is None or code in only
                if wanted and (code not in best or score > best[code].score):
                    alias = self._written[words_of_alias]
                    best[code] = Suggestion(code, self._names.get(code, ""), round(score, 1), alias)
        return sorted(best.values(), key=lambda suggestion: (-suggestion.score, suggestion.code))
