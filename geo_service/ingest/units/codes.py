"""What a unit code may look like: the published pattern of each level.

GSO codes are digits: provinces 2, districts 3, communes 5 (with their leading zeros).
Villages have no national code: the service numbers the villages it derives from points
``{commune code}-{nnn}`` ("07057-001"), and a village boundary file may carry its own
codes ("T1", "ma_thon" values). A village code is 1 to 32 ASCII letters, digits, '-', '_'
or '.', beginning with a letter or a digit (docs/data-model.md). Nothing else is a code:
codes lead every CSV row and go into URLs, so a formula ("=HYPERLINK(…)"), markup, a
space or a slash must never become one.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from geo_service.domain import Level

GSO_DIGITS = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}
VILLAGE_CODE = r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}"
PATTERNS: dict[Level, str] = {
    **{level: rf"[0-9]{{{digits}}}" for level, digits in GSO_DIGITS.items()},
    Level.VILLAGE: VILLAGE_CODE,
}
RULES: dict[Level, str] = {
    Level.PROVINCE: "a province code is 2 digits (GSO), e.g. 27",
    Level.DISTRICT: "a district code is 3 digits (GSO), e.g. 264",
    Level.COMMUNE: "a commune code is 5 digits (GSO), e.g. 09496",
    Level.VILLAGE: (
        "a village code is 1 to 32 letters, digits, '-', '_' or '.', beginning with a "
        "letter or a digit, e.g. 07057-001"
    ),
}
# The levels a parent may be of: a post-2025 commune hangs directly under its province.
PARENT_LEVELS: dict[Level, tuple[Level, ...]] = {
    Level.PROVINCE: (),
    Level.DISTRICT: (Level.PROVINCE,),
    Level.COMMUNE: (Level.DISTRICT, Level.PROVINCE),
    Level.VILLAGE: (Level.COMMUNE,),
}
_SHOWN = 40  # characters of a refused code repeated in its message


def code_problems(codes: pa.Array, levels: np.ndarray) -> list[tuple[int, str]]:
    """(row position, message) for each code that does not fit its row's level.

    ``levels`` holds level numbers (0 when unknown: such rows are reported elsewhere).
    Missing codes (nulls) are not problems here.
    """
    found: list[tuple[int, str]] = []
    for level in Level:
        wrong = _not_matching(codes, levels == int(level), PATTERNS[level])
        found += [(p, f"code '{_shown(codes, p)}' is not valid: {RULES[level]}") for p in wrong]
    return sorted(found)


def parent_problems(parents: pa.Array, levels: np.ndarray) -> list[tuple[int, str]]:
    """(row position, message) for each parent code that names no possible parent."""
    found: list[tuple[int, str]] = []
    for level in Level:
        allowed = PARENT_LEVELS[level]
        pattern = "|".join(PATTERNS[parent] for parent in allowed) or None
        for position in _not_matching(parents, levels == int(level), pattern):
            if allowed:
                rules = "; ".join(RULES[parent] for parent in allowed)
                message = f"parent code '{_shown(parents, position)}' is not valid: {rules}"
            else:
                message = "a province has no parent unit; leave its parent code empty"
            found.append((position, message))
    return sorted(found)


def is_gso_code(code: str) -> bool:
    """Whether ``code`` is a province, district or commune code (2, 3 or 5 digits)."""
    return code.isascii() and code.isdigit() and len(code) in GSO_DIGITS.values()


def _not_matching(values: pa.Array, rows: np.ndarray, pattern: str | None) -> list[int]:
    """Positions among ``rows`` whose value is given and does not match ``pattern`` whole
    (with no pattern, whose value is given)."""
    if not rows.any():
        return []
    if pattern is None:
        matches = pc.is_null(values)
    else:
        matches = pc.fill_null(pc.match_substring_regex(values, f"^(?:{pattern})$"), True)
    return np.flatnonzero(~np.asarray(matches, dtype=bool) & rows).tolist()


def _shown(values: pa.Array, position: int) -> str:
    text = str(values[position].as_py())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
