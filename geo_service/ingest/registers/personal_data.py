"""Personal data typed into free-text cells: phone numbers, ID card numbers, e-mail addresses.

The public tables hold counts and role titles only (docs/data-model.md); member names,
phones and ID numbers belong to a separate, never-public members register. Columns named
for personal data are refused by their header; this module finds the data when it is
typed into an allowed column ("Tổ trưởng Nguyễn Văn An, SĐT 0912 345 678").

- Phone numbers are found by Google's libphonenumber (``phonenumbers``) with Vietnam's
  numbering plan: mobiles 03x, 05x, 07x, 08x, 09x and landlines 02x, written with spaces,
  dots or dashes, with a leading 0 or as +84 / 0084. Only numbers that are valid in the
  plan count, so dates, years, counts ("1.250"), GSO codes and decision numbers
  ("123/QĐ-UBND") do not.
- CCCD numbers: 12 digits, beginning with 0 (the province of registration, 001-096), in
  one run or in groups; or any 12 digits in one run.
- CMND numbers: 9 digits in one run (a grouped "150.000.000" is an amount).
- After a word naming an ID card (CCCD, CMND, căn cước, định danh…) any 9 or 12 digits.

A number followed by a currency word ("150000000 đồng") is an amount, never personal data.
What is found is reported masked: only its first three and last two digits are shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher, PhoneNumberType

from geo_service.ingest.readers.cells import fold_header

# A cheap test that rules out nearly every cell: an "@", or nine digits close together.
MAYBE_PERSONAL = re.compile(r"@|\d(?:\W{0,3}\d){8}")
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
# Dates ("16/06/2022", "16.06.2022", "2022-06-16") are blanked before phones are looked
# for: a date written right before a phone number would otherwise hide it.
_DATE = re.compile(r"(?<!\d)(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{1,2}-\d{1,2})(?!\d)")
_LETTER_THEN_DIGIT = re.compile(r"(?<=[^\W\d_])(?=[+\d])")  # "SĐT0912…": the matcher needs a gap
_CURRENCY_AFTER = re.compile(r"\s*(?:đồng|đ|vnđ|vnd|triệu|tỷ)\b", re.IGNORECASE)
_NOT_PERSONAL_TYPES = {
    PhoneNumberType.TOLL_FREE,  # 1800 hotlines
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
}
_CCCD = re.compile(
    r"(?<![\d.,])0\d{2}(?:(?P<s>[ .\-]?)\d{3}(?P=s)\d{3}(?P=s)\d{3}"
    r"|\d(?P<t>[ .\-]?)\d{4}(?P=t)\d{4})(?![.,]?\d)"
)
_TWELVE_DIGITS = re.compile(r"(?<![\d.,])\d{12}(?![.,]?\d)")
_NINE_DIGITS = re.compile(r"(?<![\d.,])\d{9}(?![.,]?\d)")
_ID_WORD = re.compile(
    r"(?:cccd|cmnd|cmt|căn cước|can cuoc|chứng minh|chung minh|định danh|dinh danh)"
    r"\W{0,5}(?:số\W{0,3})?(?P<number>\d(?:[ .\-]?\d){8,11})(?!\d)",
    re.IGNORECASE,
)
_ID_KINDS = {9: "a CMND (ID card) number", 12: "a CCCD (citizen ID) number"}

# Extra-figure keys (folded, split at "_") that name personal data, as word sequences.
_PERSONAL_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "a phone number": (
        ("sdt",),
        ("dien", "thoai"),
        ("phone",),
        ("tel",),
        ("mobile",),
        ("zalo",),
    ),
    "an e-mail address": (("email",), ("e", "mail"), ("mail",)),
    "an ID number": (("cccd",), ("cmnd",), ("cmt",), ("can", "cuoc"), ("dinh", "danh")),
    "a person's name": (
        ("ho", "ten"),
        ("ho", "va", "ten"),
        ("full", "name"),
        ("name",),
        ("names",),
        ("ten", "thanh", "vien"),
        ("ten", "to", "truong"),
        ("ten", "nguoi"),
    ),
    "an address": (("dia", "chi"), ("address",)),
    "a birth date": (("ngay", "sinh"), ("nam", "sinh"), ("birth",), ("dob",)),
    "a household list": (("danh", "sach", "ho"),),
}


@dataclass(frozen=True)
class Finding:
    """What a cell holds, with the value masked so that a report does not repeat it."""

    kind: str  # "a phone number", "a CCCD (citizen ID) number", "an e-mail address"
    masked: str

    def message(self) -> str:
        return (
            f"personal data is not accepted: the cell holds {self.kind} ({self.masked}); "
            "public tables keep role titles and counts only (names, phones and ID numbers "
            "belong in the members register)"
        )


def might_hold_personal_data(text: str) -> bool:
    """False for nearly every cell, cheaply; True when ``find_personal_data`` must look."""
    return MAYBE_PERSONAL.search(text) is not None


def find_personal_data(text: str) -> Finding | None:
    """The first e-mail address, phone number or ID card number in ``text``, masked."""
    if not might_hold_personal_data(text):
        return None
    if email := _EMAIL.search(text):
        return Finding("an e-mail address", _masked_email(email.group()))
    prepared = _LETTER_THEN_DIGIT.sub(" ", _DATE.sub(_blank, text))
    for match in PhoneNumberMatcher(prepared, "VN", leniency=Leniency.VALID):
        if _is_amount(prepared, match.end) or _two_codes(match.raw_string):
            continue
        if phonenumbers.number_type(match.number) not in _NOT_PERSONAL_TYPES:
            return Finding("a phone number", _masked(match.raw_string))
    if found := _ID_WORD.search(prepared):
        number = found.group("number")
        kind = _ID_KINDS.get(sum(ch.isdigit() for ch in number))
        if kind is not None:
            return Finding(kind, _masked(number))
    for pattern, kind in ((_CCCD, _ID_KINDS[12]), (_TWELVE_DIGITS, _ID_KINDS[12])):
        for found in pattern.finditer(prepared):
            if not _is_amount(prepared, found.end()):
                return Finding(kind, _masked(found.group()))
    for found in _NINE_DIGITS.finditer(prepared):
        if not _is_amount(prepared, found.end()):
            return Finding(_ID_KINDS[9], _masked(found.group()))
    return None


def personal_key(key: str) -> str | None:
    """What a figure's name says it holds ("sdt_to_truong": "a phone number"), or None."""
    words = tuple(word.rstrip("0123456789") for word in fold_header(key).split())
    for kind, sequences in _PERSONAL_KEYS.items():
        for sequence in sequences:
            size = len(sequence)
            if any(words[i : i + size] == sequence for i in range(len(words) - size + 1)):
                return kind
    return None


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def _is_amount(text: str, end: int) -> bool:
    return _CURRENCY_AFTER.match(text, end) is not None


def _two_codes(raw: str) -> bool:
    """ "07057 07054": two five-digit GSO commune codes, a shape no phone is written in."""
    groups = re.findall(r"\d+", raw)
    return len(groups) > 1 and all(len(group) == 5 for group in groups)


def _masked(number: str) -> str:
    """All digits but the first three and the last two hidden: "0912 345 678" ->
    "091* *** *78"."""
    positions = [i for i, ch in enumerate(number) if ch.isdigit()]
    hidden = set(positions[3:-2])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(number)).strip()


def _masked_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
