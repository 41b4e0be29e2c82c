"""Cheap stand-ins for a name's match key, to skip analysing names that cannot match.

Matching and the duplicate-name check compare ``names.analyse`` keys, and analysing each
distinct name is the costly part of both (a national list holds tens of thousands). These
look only at a name's last word and answer "cannot match" (never "matches"): names they
keep are analysed as usual. Each claim is proven by tests over every messy form the
matching tests generate (tests/ingest/registers/test_matching.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from geo_service.text.folding import strip_marks, words
from geo_service.text.names import nfc
from geo_service.text.numerals import may_end_numeral, without_leading_zeros


def last_word(name: str) -> str:
    """The last word of a name, folded as ``analyse`` folds words: "TDP 04" -> "04",
    "Tổ dân phố Bốn" -> "bon", "TDP04" -> "tdp04" (or a word ending with that one, when
    lower case adds a mark: "İstanbul" -> "istanbul", not "stanbul"). See ``KeyEndings``."""
    last = (name.rsplit(None, 1) or [""])[-1]
    if last.isalnum() and unicodedata.is_normalized("NFC", last):
        # The common case: a last word of letters and digits, which ``nfc`` leaves as is
        # but for tone placement (folded away below).
        return strip_marks(last)
    folded = words(nfc(name).lower())
    return strip_marks(folded[-1]) if folded else ""


def key_signature(name: str) -> str:
    """A coarse stand-in for ``match_key``, cheap to compute: names with the same match key
    have the same signature (the converse does not hold), so names whose signatures differ
    need no analysis to be told apart.

    It is the name's ``last_word``, or "#" when that word may be (part of) a numeral: a key
    is a number only when the name ends in digits, a number word or Roman numerals. Any
    other key ends with the name's last word itself; only a type abbreviation glued to
    digits ("TDP04") makes the key's last word shorter, and that word has digits. The word
    is case-folded, because lower case is not always the same letter in every context
    (Greek final sigma).
    """
    last = last_word(name).casefold()
    if any(char.isdigit() for char in last) or may_end_numeral(last):
        return "#"
    return last


class KeyEndings:
    """The last words of some keys, to tell cheaply which names cannot have one of them.

    Both keys of a name (``analyse``: ``key`` and ``literal``) are its rest after the type
    word, folded word by word with leading zeros dropped, so their last word is its
    ``last_word`` or a suffix of it ("TDP04" -> "4"); all digits, it is exactly that
    word without its leading zeros. Otherwise the key is a number the rest spells, which
    then ends with a number word or a Roman numeral.
    """

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._words: set[str] = set()
        self._numbers = False
        for key in keys:
            self.add(key)

    def add(self, key: str) -> None:
        word = key.rpartition(" ")[2]
        self._words.add(word)
        self._numbers = self._numbers or word.isdigit()

    def may_end(self, last: str) -> bool:
        """False when a name whose ``last_word`` is ``last`` has none of the keys."""
        if not last.isascii():  # other digits, letters that do not fold to ASCII
            return True
        endings = self._words
        if last.isdigit():
            return without_leading_zeros(last) in endings
        if self._numbers and may_end_numeral(last):
            return True
        return any(last[i:] in endings for i in range(len(last)))
