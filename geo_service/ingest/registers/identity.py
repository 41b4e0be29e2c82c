"""A model's identity when its register has no "Mã mô hình" column.

Registers as communes keep them carry no model IDs: a model is what its row says, its
commune, its type, its name and, when given, its launch date. Rows are grouped into models
by those cells as written (compared after folding: accents kept, case and spacing not), and
once the commune and the type are matched the model gets a key that the same row gives
again on every re-import: ``{commune code}-{type code}-{8 hex digits}``, the digits a hash
of the name (NFC, case- and spacing-insensitive) and the launch date.

The limit, by construction: two models of one type in one commune with the same name and
launch date are one model (their rows become two sites of it). Renaming a model, or giving
a launch date it did not have, makes it another model; the one it was is then "no longer
listed" (see ``imports/unlisted.py``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from geo_service.ingest.readers.cells import Cell, cell_text, fold_header, parse_date
from geo_service.text.names import nfc

# The cells that say which model a row belongs to (besides the name and the date).
PLACE_AND_TYPE = ("commune_code", "province_name", "district_name", "commune_name", "type")


def name_key(name: str) -> str:
    """A model name as its identity compares it: NFC, case and spacing do not count."""
    return " ".join(nfc(name).casefold().split())


def _launch_key(cell: Cell) -> str:
    try:
        launch = parse_date(cell)
    except ValueError:
        return fold_header(cell_text(cell))  # reported by the row's own check
    return launch.isoformat() if launch else ""


def row_identity(cells: dict[str, Cell]) -> tuple[str, ...]:
    """What groups a row with the other rows of its model, as written."""
    places = [fold_header(cell_text(cells.get(name))) for name in PLACE_AND_TYPE]
    code = places[0]
    if code.isdigit():
        places[0] = code.zfill(5)  # Excel drops a code's leading zeros
    name = name_key(cell_text(cells.get("model_name")))
    return (*places, name, _launch_key(cells.get("launch_date")))


_DERIVED = re.compile(r"\d{5}-[a-z0-9_]+-[0-9a-f]{8}")


def is_derived(model_id: str) -> bool:
    """Whether a key is one ``derived_model_id`` makes (not a register's own)."""
    return _DERIVED.fullmatch(model_id) is not None


def derived_model_id(unit_code: str, type_code: str, name: str, launch: date | None) -> str:
    """The key of a model without one: the same for the same commune, type, name and date."""
    said = f"{name_key(name)}\n{launch.isoformat() if launch else ''}"
    digest = hashlib.sha256(said.encode("utf-8")).hexdigest()[:8]
    return f"{unit_code}-{type_code}-{digest}"
