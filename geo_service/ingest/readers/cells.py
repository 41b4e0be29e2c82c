"""Cell values as spreadsheets hold them, and the parsers registers need.

A CSV cell is text; an XLSX cell arrives typed (``datetime`` for dates, ``int``/``float``
for numbers) and may be a formula. Parsers accept all of these and raise ``ValueError``
with a message a person can act on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

PlainCell = str | int | float | date | None


@dataclass(frozen=True, slots=True)
class Formula:
    """A spreadsheet formula cell: its text and the value Excel last computed (if saved)."""

    text: str
    cached: PlainCell


Cell = PlainCell | Formula


@lru_cache(maxsize=65536)
def fold_header(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a header or a word."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def cell_text(value: Cell) -> str:
    """A cell as text: numbers without a spurious ".0", dates as ISO, formulas as written.

    Text cells are NFC already (tables normalise them as they read them)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def computed(value: Cell) -> PlainCell:
    """The value a number or date field uses: a formula's saved result."""
    if isinstance(value, Formula):
        if value.cached is None:
            raise ValueError(
                f"'{value.text[:40]}' is a formula with no saved result; type the value "
                "(or open the file in Excel and save it again)"
            )
        return value.cached
    return value


# --- dates --------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's 1900-02-29
_SERIAL_RANGE = (32_874, 73_051)  # 1990-01-01 .. 2099-12-31: launch dates of real models
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_NUMERIC = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})$")
# Folded ("ngày 16 tháng 6 năm 2022" -> "ngay 16 thang 6 nam 2022"; "/" becomes a space).
_DATE_WORDS = re.compile(r"^(?:ngay )?(\d{1,2}) (?:thang )?(\d{1,2}) (?:nam )?(\d{2,4})$")


def excel_serial_date(serial: float) -> date:
    """An Excel serial day number (1900 date system) as a date."""
    if not float(serial).is_integer() or not _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
        raise ValueError(
            f"'{cell_text(serial)}' is not a date (a number in a date column is read as an "
            "Excel date serial, which must be a whole day between 1990 and 2099)"
        )
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def _checked(day: int, month: int, year: int, written: str) -> date:
    if year < 100:
        raise ValueError(
            f"'{written}' has a two-digit year, which is ambiguous; write the year in full "
            "(dd/mm/yyyy)"
        )
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"'{written}' is not a valid day/month/year date: {exc}") from None


def parse_date(value: Cell) -> date | None:
    """A launch date: an Excel date, '16/6/2022', '16-06-2022', '2022-06-16',
    'ngày 16 tháng 6 năm 2022' or an Excel serial day number. Raises ValueError."""
    value = computed(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a date (expected dd/mm/yyyy)")
    if isinstance(value, int | float):
        return excel_serial_date(value)
    return _date_text(value or "")


@lru_cache(maxsize=4096)
def _date_text(value: str) -> date | None:
    """``parse_date`` of a text cell; cached, as a register repeats its dates."""
    text = _TIME_SUFFIX.sub("", value.strip()).strip()
    if not text:
        return None
    if text.isdigit() and len(text) == 5:
        return excel_serial_date(int(text))
    if match := _DATE_ISO.match(text):
        year, month, day = map(int, match.groups())
        return _checked(day, month, year, text)
    if match := _DATE_NUMERIC.match(text) or _DATE_WORDS.match(fold_header(text)):
        day, month, year = map(int, match.groups())
        return _checked(day, month, year, text)
    raise ValueError(f"'{text}' is not a date (expected dd/mm/yyyy, e.g. 16/6/2022)")


# --- counts -------------------------------------------------------------------------------

# Words that may follow a count ("12 người", "24 hộ"), folded.
UNIT_WORDS = frozenset(
    {
        "nguoi",
        "ho",
        "ho gia dinh",
        "hgd",
        "thanh vien",
        "tv",
        "camera",
        "cam",
        "mat",
        "chiec",
        "cai",
        "tin",
        "vu",
        "to",
        "dong chi",
        "d c",
        "members",
        "households",
        "cameras",
    }
)
_NUMBER_AND_WORDS = re.compile(r"^([0-9][0-9.,\s]*?)\s*([^\W\d_].*)?$")
_THOUSANDS = re.compile(r"^\d{1,3}([.,\s])\d{3}(\1\d{3})*$")
_ZERO_DECIMALS = re.compile(r"^(\d+)[.,]0+$")
_NOTHING = frozenset({"-", "–", "—"})  # a dash in a count column means "none given"


def parse_count(value: Cell) -> int | None:
    """A whole, non-negative number: '1.250', '1,250', '1 250', '12 người', '24 hộ', 12.0."""
    if value == "" or value is None:
        return None
    value = computed(value)
    if isinstance(value, bool | date):
        raise ValueError(f"'{cell_text(value)}' is not a whole number")
    if isinstance(value, int | float):
        if value < 0 or not float(value).is_integer():
            raise ValueError(f"'{cell_text(value)}' is not a whole number")
        return int(value)
    return _count_text(value or "")


@lru_cache(maxsize=4096)
def _count_text(value: str) -> int | None:
    """``parse_count`` of a text cell; cached, as a register repeats its counts."""
    text = value.replace("\u00a0", " ").replace("\u202f", " ").strip()
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or text in _NOTHING:
        return None
    match = _NUMBER_AND_WORDS.match(text)
    words = fold_header(match.group(2) or "") if match else None
    if match is None or (words and words not in UNIT_WORDS):
        raise ValueError(f"'{text}' is not a whole number")
    number = match.group(1).strip()
    if _THOUSANDS.match(number):
        number = re.sub(r"[.,\s]", "", number)
    elif zero := _ZERO_DECIMALS.match(number):
        number = zero.group(1)
    if not number.isdigit():
        raise ValueError(f"'{text}' is not a whole number")
    return int(number)
