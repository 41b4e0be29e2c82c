"""Vietnamese name normalisation (shared/DOMAIN.md §6); matching is ``ingest.name_index``.

Conventions, decided once here:

* Stored names are NFC with **old-style tone placement** ("hoà", "thuỷ", "khoẻ", "Hoá"):
  in an open syllable ending in oa/oe/uy the tone sits on the second vowel. The current
  (post-2025) official unit list is written this way, so official names pass unchanged.
* ``fold`` is the accent- and case-insensitive form; đ/Đ become d explicitly because NFD
  does not decompose them.
* A leading type word ("Thôn", "Phường", "TDP", "P.") is split off; ``match_key`` compares
  only the rest, and ``NameIndex`` (ingest/name_index.py) uses the types only to tell
  candidates apart or to refuse a match whose explicit types differ ("Thôn 1" never
  silently matches "Xóm 1").
* Ordinals: the rest is read as a number only when it is *entirely* a numeral (digits,
  Roman numerals or number words, as ``numerals`` reads them); a leading "số" is
  dropped. So "Thôn Một" and "Thôn số 1" are "1", while "Ba Vì", "Tân Lập", "Năm Căn"
  stay names.
* Single-syllable type words are matched with their accents ("Sóc", not "Sọc"); without
  accents only if the whole name has none. ``level`` restricts the types considered, so
  "Buôn Ma Thuột" at district level or "Sóc Sơn" at commune level is not split.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from geo_service.domain import UNIT_TYPES, Level
from geo_service.text.folding import strip_marks, words
from geo_service.text.numerals import read_numeral, without_leading_zeros

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng

_UNTONED = {unicodedata.normalize("NFC", b + t): (b, t) for b in "oOuU" for t in _TONE_MARKS}
_TONED_O, _TONED_U = ("".join(c for c, (b, _) in _UNTONED.items() if b in v) for v in ("oO", "uU"))
# A tone on the o/u of an open oa/oe/uy syllable moves to the second vowel (old style).
_NEW_STYLE_TONE = re.compile(
    rf"([{_TONED_O}])([aAeE])(?![^\W\d_])|([{_TONED_U}])([yY])(?![^\W\d_])"
)
_CLEANUP: dict[int, str | None] = {
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad")),  # invisible
    0xD0: "Đ",
    0xF0: "đ",
    0x189: "Đ",  # Icelandic/African eth typed for Đ/đ
}
_NEEDS_CLEANUP = re.compile(f"[{''.join(map(chr, _CLEANUP))}]")
_SEPARATORS = " \t.:,;-–—/"
_SEPARATOR = re.compile(f"[{re.escape(_SEPARATORS)}]")


def _move_tone(match: re.Match[str]) -> str:
    toned, second = match.group(1, 2) if match.group(1) else match.group(3, 4)
    base, tone = _UNTONED[toned]
    return base + unicodedata.normalize("NFC", second + tone)


@lru_cache(maxsize=65536)
def nfc(text: str) -> str:
    """NFC, old-style tone placement, single spaces, no invisible characters.

    Cached: a register or a unit list repeats its names (and counts) many times over."""
    return " ".join(_composed(text).split())


def _composed(text: str) -> str:
    """``nfc`` but for spaces: invisible characters out, NFC, old-style tone placement."""
    if not text.isascii():
        if _NEEDS_CLEANUP.search(text):
            text = text.translate(_CLEANUP)
        text = unicodedata.normalize("NFC", text)
        text = _NEW_STYLE_TONE.sub(_move_tone, text)
    return text


_JOINER = "\ue000"  # a private-use character: NFC and the tone rules never cross it
_SPACES = re.compile(r"\s+")  # str.split's whitespace exactly
_ODD_SPACES = re.compile(r"[^\S ]|  ")  # what " ".join(text.split()) would change inside


def nfc_each(texts: list[str]) -> list[str]:
    """``nfc`` of every text, worked out on all of them at once.

    A national file has tens of thousands of distinct names; joined by a private-use
    character, which NFC composes with nothing and the tone rule reads as a word end, they
    are normalised in one pass of each step instead of one call per name.
    """
    if not texts or any(_JOINER in text for text in texts):
        return [nfc(text) for text in texts]
    joined = _composed(_JOINER.join(texts))
    if _ODD_SPACES.search(joined):  # rare: most names have single spaces only
        joined = _SPACES.sub(" ", joined)
    texts = joined.split(_JOINER)
    edges = (" " + _JOINER, _JOINER + " ")
    if joined[:1] == " " or joined[-1:] == " " or any(edge in joined for edge in edges):
        texts = [text.strip(" ") for text in texts]
    return texts


def fold(text: str) -> str:
    """Accent- and case-insensitive key: "Đường Lâm" -> "duong lam"."""
    return " ".join(words(strip_marks(nfc(text))))


# --- unit type prefixes -------------------------------------------------------------------

_EXTRA_TYPE_WORDS = {"tổ": "to_dan_pho"}  # "Tổ 4" is how cities write tổ dân phố 4
_NEEDS_NUMBER = frozenset({"tổ"})


def _type_words() -> list[tuple[str, str, str]]:
    """(type word, slug, folded word), longest first so "Thị xã" wins over "Xã"."""
    pairs = {
        (nfc(word).lower(), slug)
        for slug, (word, _) in UNIT_TYPES.items()
        if slug != "thanh_pho_tw"
    } | set(_EXTRA_TYPE_WORDS.items())
    return sorted(((w, s, strip_marks(w)) for w, s in pairs), key=lambda t: (-len(t[0]), t))


LONGEST_TYPE_WORDS = max(len(word.split()) for word, _, _ in _type_words())  # "tổ dân phố"
# By their first syllable, folded: a name can start only with those of its first word.
_TYPE_WORDS_BY_SYLLABLE: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
for _word in _type_words():
    _TYPE_WORDS_BY_SYLLABLE[_word[2].split(" ")[0]].append(_word)
# Abbreviations end with a dot, a space or a digit; single letters need a dot or a digit.
_WORD_END, _LETTER_END = r"(?:\.\s*|\s+|(?=\d))", r"(?:\.\s*|\s*(?=\d))"
_ABBREVIATIONS = [
    (re.compile(pattern, re.IGNORECASE), slug)
    for pattern, slug in [
        (r"t\.?\s?d\.?\s?p" + _WORD_END, "to_dan_pho"),
        (r"k\.?d\.?c" + _WORD_END, "khu_dan_cu"),
        (r"k\.?p" + _WORD_END, "khu_pho"),
        (r"t\.?t" + _WORD_END, "thi_tran"),
        (r"t\.?x" + _WORD_END, "thi_xa"),
        (r"t\.?p" + _WORD_END, "thanh_pho"),
        (r"[pf]" + _LETTER_END, "phuong"),
        (r"x" + _LETTER_END, "xa"),
        (r"q" + _LETTER_END, "quan"),
        (r"h" + _LETTER_END, "huyen"),
    ]
]
_ABBREVIATION_LETTERS = frozenset("tkpfxqh")


def _slug_for_level(slug: str, level: Level | None) -> str | None:
    if slug == "thanh_pho" and level == Level.PROVINCE:
        return "thanh_pho_tw"
    if level is not None and UNIT_TYPES[slug][1] != level:
        return None
    return slug


def _type_word_length(text: str, folded: str, word: str, folded_word: str) -> int:
    """Length of ``word`` at the start of ``text``, or 0 when it is not there."""
    size = len(word)
    if len(text) <= size or text[size] not in _SEPARATORS:
        return 0
    if text[:size].lower() == word:
        return size
    several_syllables = " " in word
    if folded.startswith(folded_word) and (several_syllables or text.isascii()):
        return size
    return 0


def split_unit_type(name: str, level: Level | None = None) -> tuple[str | None, str]:
    """Split a leading unit type: "Thôn Tân Phong" -> ("thon", "Tân Phong").

    Abbreviations count too: "P.1" -> ("phuong", "1"), "TDP 4" -> ("to_dan_pho", "4").

    Returns ``(None, name)`` (NFC) when no type word starts the name. ``level`` limits the
    types considered; "Thành phố" is ``thanh_pho`` unless ``level`` is ``Level.PROVINCE``.
    """
    return _split(nfc(name), level)


def _split(text: str, level: Level | None) -> tuple[str | None, str]:
    folded = strip_marks(text)
    if len(folded) == len(text):
        first = _SEPARATOR.split(folded, maxsplit=1)[0]
        for word, slug, folded_word in _TYPE_WORDS_BY_SYLLABLE.get(first, ()):
            size = _type_word_length(text, folded, word, folded_word)
            rest = text[size:].lstrip(_SEPARATORS) if size else ""
            if rest and (word not in _NEEDS_NUMBER or _without_so(rest)[0].isdigit()):
                level_slug = _slug_for_level(slug, level)
                if level_slug:
                    return level_slug, rest
    for pattern, slug in _ABBREVIATIONS if folded[:1] in _ABBREVIATION_LETTERS else ():
        found = pattern.match(text)
        rest = text[found.end() :].strip(_SEPARATORS) if found else ""
        if found and rest and text[: found.end()].isascii():
            level_slug = _slug_for_level(slug, level)
            if level_slug:
                return level_slug, rest
    return None, text


# --- ordinals -----------------------------------------------------------------------------


def numeral_value(text: str) -> int | None:
    """The number a name part spells when it is nothing but a numeral, else None.

    >>> [numeral_value(s) for s in ["01", "IV", "Một", "hai mươi mốt", "Ba Vì", "Nam"]]
    [1, 4, 1, 21, None, None]
    """
    return read_numeral(nfc(text))


def _without_so(rest: str) -> str:
    """Drop "số" (number) before a numeral: "số 4 Tiền Huân" -> "4 Tiền Huân"."""
    if rest[:1] not in ("s", "S"):
        return rest
    head, _, tail = rest.partition(" ")
    numeral_follows = bool(tail) and (tail[0].isdigit() or read_numeral(tail) is not None)
    if head.lower() in ("số", "so", "số.", "so.") and numeral_follows:
        return tail
    return rest


def _keys_of_rest(rest: str) -> tuple[str, str, str]:
    """Keys of a name without its type word: folded, with accents, folded literally."""
    rest = _without_so(rest)
    spelled = " ".join(without_leading_zeros(w) if w[0] == "0" else w for w in words(rest.lower()))
    folded, number = strip_marks(spelled), read_numeral(rest)
    if number is not None:
        return str(number), str(number), folded
    return folded, spelled, folded


@dataclass(frozen=True, slots=True)
class NameKeys:
    """Everything matching compares about one name (``analyse``)."""

    name: str  # NFC
    unit_type: str | None
    key: str  # folded, without the type word; numerals as digits
    spelled: str  # as key, but with accents
    literal: str  # folded, numerals as written ("xa tu" finds "Xã Tư" whose key is "4")
    # The keys of the whole name, type word kept (whole_key, whole_spelled): needed only
    # when a lookup by ``key`` fails, so worked out then.
    _whole: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def whole_key(self) -> str:
        return self._whole_keys()[0]

    @property
    def whole_spelled(self) -> str:
        return self._whole_keys()[1]

    def _whole_keys(self) -> list[str]:
        if not self._whole:
            if self.unit_type:
                self._whole.extend(_keys_of_rest(self.name)[:2])
            else:
                self._whole.extend((self.key, self.spelled))
        return self._whole


@lru_cache(maxsize=131072)
def analyse(name: str, level: Level | None = None) -> NameKeys:
    """The keys of a name; cached, as registers repeat names and units are looked up often."""
    text = nfc(name)
    unit_type, rest = _split(text, level)
    key, spelled, literal = _keys_of_rest(rest)
    return NameKeys(text, unit_type, key, spelled, literal)


def clear_caches() -> None:
    """Forget every name seen (benchmarks time the first analysis, not the cache)."""
    nfc.cache_clear()
    analyse.cache_clear()


def match_key(name: str, level: Level | None = None) -> str:
    """Key for comparing names within one parent, without the type word.

    "TDP 4 Tiền Huân" and "Tổ dân phố số 4 Tiền Huân" -> "4 tien huan";
    "Thôn 1", "Thôn Một", "Thôn I", "thon mot", "Thôn 01" -> "1".
    """
    return analyse(name, level).key
