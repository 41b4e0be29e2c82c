"""Text from old Vietnamese spreadsheets and DBFs: TCVN3 (ABC), VNI-Windows and cp1258.

Before Unicode, Vietnamese was typed with legacy *fonts*: the file stores ordinary
Windows-1252/Latin-1 characters and the font draws them as Vietnamese letters. Such text
arrives here already as a ``str`` of Latin-1 characters ("Hµ Néi", "Haø Noäi") and must be
mapped back to Unicode ("Hà Nội").

* **TCVN3 (ABC)**, fonts ".VnTime" etc.: one byte per letter (TCVN 5712:1993 VN3). Only
  Ă Â Ê Ô Ơ Ư Đ have capitals; capitals with a tone were typed with the separate
  upper-case fonts (".VnTimeH") using the lower-case codes, so they decode to lower case
  ("HÀ NỘI" in .VnTimeH comes back as "Hà Nội"-like lower-case letters). "ư" is byte 0xAD,
  the soft hyphen, which some tools silently delete; that loss cannot be undone.
* **VNI-Windows**, fonts "VNI-Times" etc.: a base letter followed by a mark character
  ("a" + "ø" = "à", "o" + "ä" = "ộ"); "ô" alone is ơ, "ö" is ư, "ñ" is đ.
* **cp1258**: a real code page with combining tone marks; Python decodes it.

Detection never guesses silently: a string is called legacy only when decoding it turns
words that are not Vietnamese syllables into words that are, and one encoding does so
strictly better than the other. Short strings can be ambiguous ("Thuû" is "Thuỷ" in TCVN3
and "Thủ" in VNI): ``looks_legacy`` then says None; detect on a whole column (join its
values) and pass the result as ``encoding=`` to ``decode_legacy``.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

TCVN3 = "tcvn3"
VNI = "vni"
CP1258 = "cp1258"
_SAMPLE = 100_000  # characters/bytes scored when choosing an encoding

# TCVN3 byte (as a Latin-1 character) -> Unicode letter, checked against glibc's TCVN5712-1.
_TCVN3_LEGACY = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢£¤¥¦§"
_TCVN3_UNICODE = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂÊÔƠƯĐ"
_TCVN3_TABLE = str.maketrans(_TCVN3_LEGACY, _TCVN3_UNICODE)

_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
# VNI mark character -> combining marks it stands for (lower case; upper case is the same).
_VNI_TONES = {"ø": _GRAVE, "ù": _ACUTE, "û": _HOOK, "õ": _TILDE, "ï": _DOT}
_VNI_CIRCUMFLEX = {"â": "", "à": _GRAVE, "á": _ACUTE, "å": _HOOK, "ã": _TILDE, "ä": _DOT}
_VNI_BREVE = {"ê": "", "è": _GRAVE, "é": _ACUTE, "ú": _HOOK, "ü": _TILDE, "ë": _DOT}
_VNI_MARKS_BY_BASE = {
    "a": (
        _VNI_TONES,
        {k: _CIRCUMFLEX + v for k, v in _VNI_CIRCUMFLEX.items()},
        {k: _BREVE + v for k, v in _VNI_BREVE.items()},
    ),
    "e": (_VNI_TONES, {k: _CIRCUMFLEX + v for k, v in _VNI_CIRCUMFLEX.items()}),
    "o": (_VNI_TONES, {k: _CIRCUMFLEX + v for k, v in _VNI_CIRCUMFLEX.items()}),
    "u": (_VNI_TONES,),
    "y": (_VNI_TONES,),
    "ô": ({k: _HORN + v for k, v in _VNI_TONES.items()},),  # ô alone is ơ
    "ö": ({k: _HORN + v for k, v in _VNI_TONES.items()},),  # ö alone is ư
}
_VNI_SINGLE = {
    "ô": "ơ",
    "ö": "ư",
    "ñ": "đ",
    "ì": "ì",
    "í": "í",
    "æ": "ỉ",
    "ó": "ĩ",
    "ò": "ị",
    "î": "ỵ",
}
_VNI_BASE_LETTER = {"ô": "o", "ö": "u"}


def _vni_table() -> dict[str, str]:
    """Every VNI sequence (both cases) -> its NFC Unicode letter."""
    table: dict[str, str] = {}
    for single, letter in _VNI_SINGLE.items():
        table[single], table[single.upper()] = letter, letter.upper()
    for base, mark_sets in _VNI_MARKS_BY_BASE.items():
        letter = _VNI_BASE_LETTER.get(base, base)
        for marks in mark_sets:
            for mark, combining in marks.items():
                lower = unicodedata.normalize("NFC", letter + combining)
                for base_case, unicode_case in ((base, lower), (base.upper(), lower.upper())):
                    table[base_case + mark] = unicode_case
                    table[base_case + mark.upper()] = unicode_case
    return table


_VNI_TABLE = _vni_table()
_VNI_SEQUENCE = re.compile("|".join(sorted(map(re.escape, _VNI_TABLE), key=len, reverse=True)))
_VNI_CHARACTERS = frozenset("".join(_VNI_TABLE)) - frozenset("aeouyAEOUY")
_TCVN3_ONLY = frozenset(_TCVN3_LEGACY) - _VNI_CHARACTERS
_VNI_ONLY = _VNI_CHARACTERS - frozenset(_TCVN3_LEGACY)

# Characters that exist only in Unicode Vietnamese text: it is not legacy.
_UNICODE_VIETNAMESE = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9\u0300\u0301\u0303\u0309\u0323]")


def decode_tcvn3(text: str) -> str:
    """TCVN3 (ABC) text read as Latin-1/cp1252 -> Unicode NFC: "Hµ Néi" -> "Hà Nội"."""
    return unicodedata.normalize("NFC", text.translate(_TCVN3_TABLE))


def decode_vni(text: str) -> str:
    """VNI-Windows text read as cp1252 -> Unicode NFC: "Haø Noäi" -> "Hà Nội"."""
    decoded = _VNI_SEQUENCE.sub(lambda found: _VNI_TABLE[found.group()], text)
    return unicodedata.normalize("NFC", decoded)


_DECODERS: dict[str, Callable[[str], str]] = {TCVN3: decode_tcvn3, VNI: decode_vni}

# --- is it Vietnamese? ----------------------------------------------------------------------

# Vowel nuclei by whether a final consonant may follow (longest first within each group).
_OPEN_NUCLEI = (
    "iêu|yêu|oai|oay|oao|oeo|uây|uôi|ươi|ươu|uya|uyu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu"
)
_CLOSED_NUCLEI = "uyê|iê|yê|uô|ươ|oă|uâ|oo|ă|â"
_EITHER_NUCLEI = "oa|oe|uê|uy|uơ|a|e|ê|i|o|ô|ơ|u|ư|y"
_CODA = "ch|ng|nh|c|k|m|n|p|t"
_SYLLABLE = re.compile(
    f"(?:qu|gi|[bcdđghklmnpqrstvxfjwz]*)"
    f"(?:(?:{_OPEN_NUCLEI})|(?:{_CLOSED_NUCLEI})(?:{_CODA})|(?:{_EITHER_NUCLEI})(?:{_CODA})?)"
)
_TONES = frozenset((_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT))
_WORD_BREAK = re.compile(r"[\s!-/:-@\[-`{-~\u2010-\u206f]+")


@lru_cache(maxsize=65536)
def _is_syllable(word: str) -> bool:
    """True for a written Vietnamese syllable (with Đắk/Lắk-style k codas)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [i for i, char in enumerate(decomposed) if char in _TONES]
    if len(tones) > 1 or any(not _tone_on_vowel(decomposed, i) for i in tones):
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return _SYLLABLE.fullmatch(bare) is not None


def _tone_on_vowel(decomposed: str, tone_at: int) -> bool:
    base = tone_at - 1
    while base > 0 and unicodedata.combining(decomposed[base]):
        base -= 1
    return base >= 0 and decomposed[base] in "aeiouy"


def unreadable_words(text: str) -> int:
    """How many words with non-ASCII characters are not Vietnamese syllables."""
    words = _WORD_BREAK.split(text)
    return sum(1 for word in words if not word.isascii() and not _is_syllable(word))


# --- detection ------------------------------------------------------------------------------


def _by_exclusive_characters(text: str) -> str | None:
    tcvn3 = sum(1 for char in text if char in _TCVN3_ONLY)
    vni = sum(1 for char in text if char in _VNI_ONLY)
    if tcvn3 == vni:
        return None
    return TCVN3 if tcvn3 > vni else VNI


def looks_legacy(text: str) -> str | None:
    """ "tcvn3" or "vni" when ``text`` is legacy-font text, None when it is not (or unclear)."""
    sample = text[:_SAMPLE]
    if sample.isascii() or _UNICODE_VIETNAMESE.search(sample):
        return None
    unreadable = unreadable_words(sample)
    if unreadable == 0:
        return None
    scores = {name: unreadable_words(decode(sample)) for name, decode in _DECODERS.items()}
    best = min(scores.values())
    if best >= unreadable:
        return None
    winners = [name for name, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else _by_exclusive_characters(sample)


def decode_legacy(text: str, encoding: str | None = None) -> tuple[str, str | None]:
    """(Unicode NFC text, "tcvn3" | "vni" | None). ``encoding`` skips detection."""
    if encoding is not None and encoding not in _DECODERS:
        raise ValueError(f"unknown legacy encoding {encoding!r}; use one of {sorted(_DECODERS)}")
    found = encoding or looks_legacy(text)
    if found is None:
        return unicodedata.normalize("NFC", text), None
    return _DECODERS[found](text), found


# --- bytes ----------------------------------------------------------------------------------


def _cp1252_table() -> dict[int, str]:
    """Latin-1 -> cp1252 for 0x80-0x9F, except cp1252's five undefined bytes."""
    table = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return table


_CP1252 = _cp1252_table()


def _as_cp1252(data: bytes) -> str:
    return data.decode("latin-1").translate(_CP1252)


def _single_byte_candidates(data: bytes) -> dict[str, str]:
    latin = _as_cp1252(data)
    return {
        CP1258: unicodedata.normalize("NFC", data.decode(CP1258, errors="replace")),
        TCVN3: decode_tcvn3(latin),
        VNI: decode_vni(latin),
        "cp1252": latin,
    }


def _choose_single_byte(data: bytes) -> str:
    sample = data[:_SAMPLE]
    scores = {
        name: unreadable_words(text) for name, text in _single_byte_candidates(sample).items()
    }
    best = min(scores.values())
    if scores[CP1258] == best:
        return CP1258
    if scores[TCVN3] == scores[VNI] == best:
        # Both legacy fonts read equally well; the exclusive characters decide, and
        # TCVN3 (the national standard, far more common in offices) wins a full tie.
        return _by_exclusive_characters(_as_cp1252(sample)) or TCVN3
    return min(scores, key=lambda name: scores[name])


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes to Unicode NFC text and say how it was encoded.

    UTF-8 (with or without BOM) is tried first; if the UTF-8 text itself is legacy-font
    text (a TCVN3 spreadsheet saved as UTF-8 CSV), it is decoded too and the label says
    so ("utf-8+tcvn3"). Otherwise the bytes are single-byte and the best reading of
    cp1258, TCVN3, VNI and cp1252 wins ("cp1258", "tcvn3", "vni", "cp1252").
    """
    label, body = ("utf-8-sig", data[3:]) if data.startswith(codecs.BOM_UTF8) else ("utf-8", data)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        chosen = _choose_single_byte(data)
        if chosen == CP1258:
            return unicodedata.normalize("NFC", data.decode(CP1258, errors="replace")), CP1258
        latin = _as_cp1252(data)
        return (_DECODERS[chosen](latin) if chosen in _DECODERS else latin), chosen
    legacy = looks_legacy(text)
    if legacy is not None:
        return _DECODERS[legacy](text), f"{label}+{legacy}"
    return unicodedata.normalize("NFC", text), label
