"""A reviewed mapping file: names a person has matched to codes, fed back with ``--mapping``.

CSV columns ``kind`` (commune | village | type), ``parent_code`` (a village's commune; for
a commune empty or its district/province; for a type empty), ``given_name`` and ``code``,
optionally ``reason``; further columns (as in the template ``--mapping-template`` writes)
are ignored, and rows without a code are skipped with a warning. The code ``-`` means
"skip the register rows naming this, on purpose": they are left out of the import and
recorded in the import log with the mapping's reason. Nothing else drops a row. The JSON
match report (``--report``) is accepted too: every
lookup whose ``chosen_code`` was filled in becomes an entry.

A given name matches an entry when both are equal after NFC, tone placement, spacing and
case, not after dropping accents: "Thiệu Hòa" and "Thiệu Hóa" are different communes.
Whether the codes exist is checked by ``UnitMatcher.check_mapping``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from geo_service.ingest.readers.cells import cell_text
from geo_service.ingest.readers.json_input import checked_shape, parse_json
from geo_service.ingest.readers.tables import Problems, read_csv_table
from geo_service.ingest.registers.match_report import MAPPABLE_KINDS, SKIP_MARKER
from geo_service.ingest.report import reject
from geo_service.output.spreadsheet_cells import restored
from geo_service.text.names import nfc

MAPPING_ALIASES = {
    "kind": ["kind", "loại", "cấp"],
    "parent_code": ["parent_code", "mã cấp trên", "parent"],
    "given_name": ["given_name", "tên trong sổ", "tên đã ghi", "name"],
    "code": ["code", "mã", "chosen_code"],
    "reason": ["reason", "lý do", "ghi chú", "note"],
}
REQUIRED_MAPPING_COLUMNS = ("kind", "parent_code", "given_name", "code")


@dataclass(frozen=True)
class MappingEntry:
    kind: str
    parent_code: str
    given_name: str
    code: str
    row: int  # in the mapping file (CSV row, or position in the JSON report's rows from 1)
    field: str
    reason: str = ""

    @property
    def skips(self) -> bool:
        return self.code == SKIP_MARKER

    def why_skipped(self, file: str) -> str:
        said = f": {self.reason}" if self.reason else ""
        return f"marked '{SKIP_MARKER}' (skip on purpose) in {file}, row {self.row}{said}"


def name_key(name: str) -> str:
    return nfc(name).casefold()


@dataclass
class Mapping:
    file: str
    entries: dict[tuple[str, str, str], MappingEntry] = field(default_factory=dict)
    used: set[tuple[str, str, str]] = field(default_factory=set)

    def find(self, kind: str, parents: Iterable[str], name: str) -> MappingEntry | None:
        """The entry for ``name`` under the first of ``parents`` that has one."""
        key = name_key(name)
        for parent in parents:
            entry = self.entries.get((kind, parent, key))
            if entry is not None:
                self.used.add((kind, parent, key))
                return entry
        return None

    def check_used(self, problems: Problems, register: str) -> None:
        """Entries no register row asked for: all of them is a mapping made for another
        register (an error); some of them, names the register no longer gives (a warning)."""
        unused = [entry for key, entry in self.entries.items() if key not in self.used]
        if not unused:
            return
        other = len(unused) == len(self.entries)
        for entry in unused:
            message = f"no row of {register} names the {entry.kind} '{entry.given_name}'"
            if other:
                problems.error(
                    message + "; is this the mapping of another register?",
                    row=entry.row,
                    field="given_name",
                    code="mapping",
                )
            else:
                problems.warning(message + "; entry not used", row=entry.row, field="given_name")

    def __len__(self) -> int:
        return len(self.entries)


def read_mapping(path: Path, problems: Problems) -> Mapping:
    """Parse a mapping CSV (or a filled JSON match report); problems name its rows."""
    if path.suffix.lower() == ".json":
        raw = _json_entries(path, problems.file)
    else:
        table = read_csv_table(path, MAPPING_ALIASES, file_name=problems.file, problems=problems)
        missing = [name for name in REQUIRED_MAPPING_COLUMNS if name not in table.columns]
        if missing:
            reject(problems.file, f"missing column(s): {', '.join(missing)}", row=1)
        raw = [
            # restored: the template quotes a name that began like a formula
            (number, {n: restored(cell_text(cells.get(n))) for n in MAPPING_ALIASES}, "code")
            for number, cells in table.rows
        ]
    mapping = Mapping(problems.file)
    for row, values, code_field in raw:
        _add(mapping, row, values, code_field, problems)
    return mapping


def _add(
    mapping: Mapping, row: int, values: dict[str, str], code_field: str, problems: Problems
) -> None:
    kind = values["kind"].strip().lower()
    if kind not in MAPPABLE_KINDS:
        problems.error(
            f"kind must be 'commune', 'village' or 'type', not '{values['kind']}'",
            row=row,
            field="kind",
        )
        return
    code, name = values["code"].strip(), values["given_name"].strip()
    if not name:
        problems.error("given_name is empty", row=row, field="given_name")
        return
    if not code:
        problems.warning(f"no code chosen for '{name}'; row skipped", row=row, field=code_field)
        return
    parent = values["parent_code"].strip()
    if kind == "village" and not parent:
        problems.error(
            "a village needs parent_code (the code of its commune)", row=row, field="parent_code"
        )
        return
    reason = values.get("reason", "").strip()
    entry = MappingEntry(kind, parent, name, code, row, code_field, reason)
    key = (kind, parent, name_key(name))
    earlier = mapping.entries.get(key)
    if earlier is not None and earlier.code != code:
        problems.error(
            f"'{name}' is mapped to {earlier.code} on row {earlier.row} and to {code} here",
            row=row,
            field=code_field,
        )
        return
    mapping.entries[key] = entry


def _json_entries(path: Path, file_name: str) -> list[tuple[int, dict[str, str], str]]:
    document = parse_json(path.read_bytes(), file_name)
    report = checked_shape(document, _FilledReport, file_name, "a match report written by --report")
    entries: list[tuple[int, dict[str, str], str]] = []
    for number, row in enumerate(report.rows, start=1):
        for part in ("commune", "village", "type"):
            lookup: _Lookup | None = getattr(row, part)
            if lookup is not None and lookup.chosen_code:
                values = {
                    "kind": lookup.kind or part,
                    "parent_code": lookup.parent_code or "",
                    "given_name": lookup.given_name or "",
                    "code": lookup.chosen_code,
                }
                entries.append((number, values, f"rows[{number - 1}].{part}.chosen_code"))
    return entries


class _Lookup(BaseModel):
    """What a reviewed lookup must hold; the report's other keys are for the reviewer."""

    # Codes are text: a number typed into the report would have lost its leading zeros.
    model_config = ConfigDict(strict=True)

    kind: str | None = None
    parent_code: str | None = None
    given_name: str | None = None
    chosen_code: str | None = None


class _ReportRow(BaseModel):
    commune: _Lookup | None = None
    village: _Lookup | None = None
    type: _Lookup | None = None


class _FilledReport(BaseModel):
    rows: list[_ReportRow]
