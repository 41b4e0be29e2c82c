"""How every register row was matched to units: for a person to read, as JSON, and as a
mapping template to fill in and feed back with ``--mapping``.

One ``Lookup`` is one name (or code) looked up: a model's commune, a row's village.
A row is "matched" when all its lookups are; otherwise it takes the status of the first
that failed (the commune before the village, whose lookup is then ``not_checked``), or
"skipped" when a reviewed mapping said to skip it (``SKIP_MARKER``) and nothing failed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from geo_service.output.spreadsheet_cells import inert_text

LookupStatus = Literal["matched", "unmatched", "ambiguous", "not_checked", "skipped"]
Kind = Literal["province", "district", "commune", "village", "type"]
MAPPABLE_KINDS = ("commune", "village", "type")
# A mapping's code that means "skip the rows naming this, on purpose".
SKIP_MARKER = "-"
FAILURE_COLUMNS = ["row", "model", "looked up", "status", "candidates", "suggestions (score)"]
TEMPLATE_COLUMNS = [
    "kind",
    "parent_code",
    "given_name",
    "code",
    "reason",
    "status",
    "rows",
    "candidates",
    "suggestions",
]


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to create, and there
class Lookup:  # is one per register row
    kind: Kind
    given_name: str
    parent_code: str  # the unit it was looked up under; "" = anywhere
    status: LookupStatus
    how: str = ""  # for a match: "code", "name" or "mapping"
    code: str | None = None
    name: str | None = None  # the matched unit's name
    given_code: str = ""
    candidates: tuple[tuple[str, str], ...] = ()  # (code, name)
    suggestions: tuple[tuple[str, str, float], ...] = ()  # (code, name, score 0-100)
    reason: str = ""
    # (code, name, why): the units that replaced the one named (a former name, a merger)
    replaced_by: tuple[tuple[str, str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "matched"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "given_name": self.given_name,
            "given_code": self.given_code,
            "parent_code": self.parent_code,
            "status": self.status,
            "how": self.how,
            "code": self.code,
            "name": self.name,
            "candidates": [{"code": c, "name": n} for c, n in self.candidates],
            "suggestions": [{"code": c, "name": n, "score": s} for c, n, s in self.suggestions],
            "reason": self.reason,
            "replaced_by": [{"code": c, "name": n, "why": w} for c, n, w in self.replaced_by],
            # A person fills this in; the report then works as a mapping file (--mapping).
            "chosen_code": None,
        }


def suggested(lookup: Lookup) -> list[str]:
    """What to review a failed lookup with: the units that replaced the one named, with
    why, then the names like it, with their score."""
    return [f"{c} {n} ({why})" for c, n, why in lookup.replaced_by] + [
        f"{c} {n} ({s:.0f})" for c, n, s in lookup.suggestions
    ]


def not_checked(kind: Kind, given_name: str, reason: str) -> Lookup:
    return Lookup(kind, given_name, "", "not_checked", reason=reason)


@dataclass(slots=True)
class Placed:
    """A lookup and where in the register its name was given."""

    lookup: Lookup
    file: str
    row: int
    field: str | None


@dataclass(slots=True)
class RowMatch:
    file: str
    row: int
    model_key: str
    commune: Placed | None
    village: Placed | None
    model_type: Placed | None = None

    @property
    def places(self) -> dict[str, Placed | None]:
        """The row's lookups by the part they play, the commune's first."""
        return {"commune": self.commune, "village": self.village, "type": self.model_type}

    @property
    def status(self) -> LookupStatus:
        """The first failure (unmatched, ambiguous), else "skipped" when a mapping skipped
        a lookup (the lookups after it are not checked), else "not_checked" or "matched"."""
        statuses = [p.lookup.status for p in self.places.values() if p is not None]
        for status in statuses:
            if status in ("unmatched", "ambiguous"):
                return status
        for status in ("skipped", "not_checked"):
            if status in statuses:
                return status
        return "matched"

    @property
    def skipped_by(self) -> Lookup | None:
        """The lookup a reviewed mapping skipped, when that is why the row was left out."""
        if self.status != "skipped":
            return None
        return next(p.lookup for p in self.places.values() if p and p.lookup.status == "skipped")

    def as_dict(self) -> dict[str, Any]:
        places = {role: _placed_dict(placed) for role, placed in self.places.items()}
        return {
            "file": self.file,
            "row": self.row,
            "model_key": self.model_key,
            "status": self.status,
            **places,
        }


def _placed_dict(placed: Placed | None) -> dict[str, Any] | None:
    if placed is None:
        return None
    return {"file": placed.file, "row": placed.row, **placed.lookup.as_dict()}


@dataclass
class Failure:
    placed: Placed
    model_key: str
    rows: list[int]  # every register row it affects


@dataclass
class MatchReport:
    """Every register row with its commune and village lookups."""

    file: str = ""
    rows: list[RowMatch] = field(default_factory=list)

    def add(self, row: RowMatch) -> None:
        self.rows.append(row)

    def counts(self) -> dict[str, int]:
        counts = {
            "rows": len(self.rows),
            "matched": 0,
            "unmatched": 0,
            "ambiguous": 0,
            "skipped": 0,
        }
        for row in self.rows:
            status = row.status
            counts[status] = counts.get(status, 0) + 1
        return counts

    def failures(self) -> Iterator[Failure]:
        """Each failed lookup once (a model's commune is shared by its rows), with the rows
        it affects, in register order."""
        found: dict[int, Failure] = {}
        for row in self.rows:
            for placed in row.places.values():
                if placed is None or placed.lookup.status not in ("unmatched", "ambiguous"):
                    continue
                failure = found.setdefault(id(placed), Failure(placed, row.model_key, []))
                failure.rows.append(row.row)
        yield from sorted(found.values(), key=lambda f: (f.placed.file, f.placed.row))

    def summary_line(self) -> str:
        counts = self.counts()
        return (
            f"{self.file}: {counts['rows']} rows — {counts['matched']} matched, "
            f"{counts['unmatched']} unmatched, {counts['ambiguous']} ambiguous, "
            f"{counts['skipped']} skipped on purpose"
        )

    def failure_rows(self) -> list[list[str]]:
        """The failures as text cells under ``FAILURE_COLUMNS``, for a person to review."""
        table = []
        for failure in self.failures():
            placed, lookup = failure.placed, failure.placed.lookup
            where = str(placed.row)
            if placed.file != self.file:  # a sheet: "[Tổ] 7"
                where = f"{placed.file.removeprefix(self.file).strip()} {placed.row}"
            others = [r for r in failure.rows if r != placed.row]
            if others:
                listed = ", ".join(map(str, others[:6])) + (" …" if len(others) > 6 else "")
                where += f" (and {listed})"
            looked_up = f"{lookup.kind} '{lookup.given_name or lookup.given_code}'"
            if lookup.parent_code:
                looked_up += f" in {lookup.parent_code}"
            table.append(
                [
                    where,
                    failure.model_key,
                    looked_up,
                    lookup.status,
                    "\n".join(f"{c} {n}" for c, n in lookup.candidates) or lookup.reason,
                    "\n".join(suggested(lookup)),
                ]
            )
        return table

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "summary": self.counts(),
            "how_to_use": (
                "Fill 'chosen_code' of an unmatched or ambiguous commune/village/type (or "
                f"'{SKIP_MARKER}' to skip its rows on purpose) and pass this file back with "
                "--mapping; or use --mapping-template for a CSV."
            ),
            "rows": [row.as_dict() for row in self.rows],
        }

    def write_json(self, path: Path) -> None:
        path.write_text(
            json.dumps(self.as_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )

    def template_rows(self) -> list[dict[str, str]]:
        """One row per distinct failed (kind, parent, name), with an empty code to fill."""
        rows: dict[tuple[str, str, str], dict[str, str]] = {}
        for failure in self.failures():
            lookup, affected = failure.placed.lookup, failure.rows
            if lookup.kind not in MAPPABLE_KINDS:
                continue
            key = (lookup.kind, lookup.parent_code, lookup.given_name)
            if key in rows:
                rows[key]["rows"] += " " + " ".join(map(str, affected))
                continue
            rows[key] = {
                "kind": lookup.kind,
                "parent_code": lookup.parent_code,
                "given_name": lookup.given_name,
                "code": "",
                "reason": "",
                "status": lookup.status,
                "rows": " ".join(map(str, affected)),
                "candidates": "; ".join(f"{c} {n}" for c, n in lookup.candidates),
                "suggestions": "; ".join(suggested(lookup)),
            }
        return list(rows.values())

    def write_mapping_template(self, path: Path) -> int:
        """Write the template (UTF-8 with BOM, so Excel shows the accents); returns its rows.

        A person fills ``code`` with the unit's or type's code, or with ``SKIP_MARKER`` and
        a ``reason`` to leave the rows out on purpose."""
        rows = self.template_rows()
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=TEMPLATE_COLUMNS)
            writer.writeheader()
            # Names come from the register as typed: no cell may run as a formula.
            writer.writerows({k: inert_text(v) for k, v in row.items()} for row in rows)
        return len(rows)
