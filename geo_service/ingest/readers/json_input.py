"""JSON that users hand in (lineage lists, reviewed match reports): parsed, then its shape
checked, each problem naming the file, the line or the place in the document.

orjson parses it: it stops at a nesting depth of 1,024 with a JSONDecodeError, where the
standard library recurses until Python's stack gives out (a RecursionError, which no
reader expects). The shape is then checked with pydantic models, so a list where an object
belongs is reported with its path (``data[0].level3s[2]``) instead of failing somewhere
in the reader.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from geo_service.ingest.readers.text_files import decode_utf8
from geo_service.ingest.report import ValidationReport, reject

ShapeT = TypeVar("ShapeT", bound=BaseModel)
MAX_SHAPE_PROBLEMS = 20  # a document of the wrong kind fails everywhere: the first few tell
_EXPECTED = {
    "missing": "is missing",
    "model_type": "should be an object {…}",
    "model_attributes_type": "should be an object {…}",
    "dict_type": "should be an object {…}",
    "list_type": "should be a list […]",
    "string_type": 'should be text in quotes, such as "07054" (a number loses leading zeros)',
}


def parse_json(data: bytes, file_name: str) -> Any:
    """The document in ``data`` (UTF-8, BOM allowed), or a rejection naming the line."""
    text = decode_utf8(data, file_name)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        reject(
            file_name,
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            row=exc.lineno,
        )


def checked_shape(document: Any, shape: type[ShapeT], file_name: str, expected: str) -> ShapeT:
    """``document`` as ``shape``; otherwise a rejection listing where it differs.

    ``expected`` says in words what the file should be ("a lineage JSON list …").
    """
    try:
        return shape.model_validate(document)
    except ValidationError as exc:
        report = ValidationReport(file_name)
        problems = exc.errors(include_url=False)
        for problem in problems[:MAX_SHAPE_PROBLEMS]:
            message = _EXPECTED.get(problem["type"], problem["msg"])
            if problem["type"] != "missing":
                message += f", not {_glimpse(problem['input'])}"
            report.error(f"not {expected}: {message}", field=json_path(problem["loc"]) or None)
        if len(problems) > MAX_SHAPE_PROBLEMS:
            report.error(f"… and {len(problems) - MAX_SHAPE_PROBLEMS} more places")
        report.raise_if_errors()
        raise  # unreachable: a ValidationError has at least one problem


def json_path(location: tuple[int | str, ...]) -> str:
    """``('data', 0, 'level3s')`` as ``data[0].level3s`` (indexes count from 0, as in jq)."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _glimpse(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    shown = orjson.dumps(value).decode("utf-8")
    return shown if len(shown) <= 40 else shown[:39] + "…"
