"""Folding Vietnamese text to compare it: marks and case away, words split.

The pieces every name key is built from (``names``), and which the cheap stand-ins for
those keys (``name_endings``) must fold exactly as the keys do.
"""

from __future__ import annotations

import re
import unicodedata


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(range(0x300, 0x370))  # combining marks
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        decomposed = unicodedata.normalize("NFD", chr(code))
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(code):
            table[code] = base
    table.update({ord("đ"): "d", ord("Đ"): "D"})
    return table


_FOLD = _fold_table()
_APOSTROPHES = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[\W_]+")


def strip_marks(text: str) -> str:
    """Lowercase without diacritics; keeps the length of NFC Vietnamese text."""
    return text.lower().translate(_FOLD)


def words(text: str) -> list[str]:
    """The words of a text: apostrophes dropped ("Pa'Nó" is one word), anything else
    that is not a letter or a digit separates."""
    return _NON_WORD.sub(" ", _APOSTROPHES.sub("", text)).split()
