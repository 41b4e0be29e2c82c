"""Numerals in unit names: digits, Roman numerals, Vietnamese number words up to 99.

A name part is read as a number only when it is *entirely* a numeral (see ``names``):
digits ("01"), Roman I..XXXIX ("vi", "xi" only in capitals, being syllables too), or
number words ("Một", "mười lăm", "hai mươi mốt"; "mốt"/"lăm" only after a ten).
Accented words must be spelled exactly; unaccented, only "mot", "hai", "ba", "muoi" and
compounds with "muoi" count, since "nam", "tam", "sau", "bon" are common name syllables.
"""

from __future__ import annotations

import re

from geo_service.text.folding import strip_marks

_UNITS = {
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
_TRAILING = {**_UNITS, "mốt": 1, "lăm": 5, "nhăm": 5}
_TEN, _TENS = "mười", ("mươi", "mười")
_ASCII_UNITS = {strip_marks(w): n for w, n in _UNITS.items()}
_ASCII_TRAILING = {strip_marks(w): n for w, n in _TRAILING.items()}
_ASCII_ALONE = {"mot": 1, "hai": 2, "ba": 3}
_ROMAN = re.compile(r"(X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_ONES = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX")
_LONGEST_NUMERAL = len("hai mươi mốt") + 4  # longer digit strings are codes, not ordinals
_ROMAN_OR_NAME = frozenset({"VI", "XI"})  # "Vi", "xi" are names unless written in capitals
_LEADING_ZEROS = re.compile(r"^0+(\d)")
# The last word of a numeral, folded ("hai mươi mốt" ends with "mot").
_NUMERAL_WORDS = frozenset(strip_marks(w) for w in [*_TRAILING, *_TENS])
_ROMAN_LETTERS = re.compile("[ivx]+")


def read_numeral(text: str) -> int | None:
    """The number an NFC name part spells when it is nothing but a numeral, else None."""
    if len(text) > _LONGEST_NUMERAL:
        return None
    if text.isdecimal():
        return int(text)
    roman = _ROMAN.fullmatch(text.upper())
    if text and roman and (text.isupper() or text.upper() not in _ROMAN_OR_NAME):
        return 10 * len(roman.group(1)) + _ROMAN_ONES.index(roman.group(2))
    return _number_words(text.lower().split(), ascii_only=text.isascii())


def without_leading_zeros(digits: str) -> str:
    """Digits without their leading zeros ("007" -> "7", "0" -> "0"), as keys hold them."""
    return _LEADING_ZEROS.sub(_keep_digit, digits)


def _keep_digit(match: re.Match[str]) -> str:  # a function: a template string is reparsed
    return match.group(1)


def may_end_numeral(word: str) -> bool:
    """Whether a folded word may be the last of a spelled-out or Roman numeral."""
    return word in _NUMERAL_WORDS or _ROMAN_LETTERS.fullmatch(word) is not None


def _number_words(words: list[str], ascii_only: bool) -> int | None:
    units, trailing = (_ASCII_UNITS, _ASCII_TRAILING) if ascii_only else (_UNITS, _TRAILING)
    ten, tens = ("muoi", ("muoi",)) if ascii_only else (_TEN, _TENS)
    # Alone, or before "mươi": unaccented "nam muoi" is more likely "Nậm Mười" than 50.
    leading = _ASCII_ALONE if ascii_only else _UNITS
    match words:
        case [word]:
            return 10 if word == ten else leading.get(word)
        case [first, second] if first == ten:
            return 10 + trailing[second] if second in trailing else None
        case [first, second, *last] if second in tens and leading.get(first, 0) > 1:
            ones = trailing.get(last[0]) if len(last) == 1 else (0 if not last else None)
            return None if ones is None else 10 * units[first] + ones
    return None
