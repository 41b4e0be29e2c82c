"""A register row's model type: its "Loại mô hình" cell → a catalogue code, or a problem.

The cell may hold a code, a name, an alias or a free description ("Tổ tuần tra nhân dân
thôn Đông"); ``ModelTypeMatcher`` reads it by the catalogue's aliases. A reviewed mapping
(kind ``type``) is consulted first, so a person settles a text the aliases do not. A text
that names no type, or two, is an error with suggestions and goes to the review file like
an unmatched unit: a type is never guessed.
"""

from __future__ import annotations

import pandas as pd

from geo_service.ingest.readers.tables import Problems
from geo_service.ingest.registers.mapping import Mapping
from geo_service.ingest.registers.match_report import Lookup
from geo_service.ingest.registers.model_types import ModelTypeMatcher, TypeMatch

CATALOGUE_HINT = "use a code, name or alias from the catalogue (GET /api/model-types)"


class TypeLookup:
    """Looks type texts up in one catalogue; reports into the row's problems."""

    def __init__(self, catalogue: pd.DataFrame, mapping: Mapping | None = None) -> None:
        self._matcher = ModelTypeMatcher(catalogue)
        self._names = dict(zip(catalogue["code"], catalogue["name_vi"], strict=True))
        self._mapping = mapping or Mapping("")

    def check_mapping(self, problems: Problems) -> None:
        """Every type code a mapping chooses must be in the catalogue."""
        for entry in self._mapping.entries.values():
            if entry.kind == "type" and not entry.skips and entry.code not in self._names:
                problems.error(
                    f"there is no model type with code '{entry.code}'; {CATALOGUE_HINT}",
                    row=entry.row,
                    field=entry.field,
                    code="mapping",
                )

    def lookup(self, text: str, problems: Problems, row: int, field: str | None) -> Lookup:
        if not text:
            reason = "the model type is empty"
            problems.error(f"{reason}; {CATALOGUE_HINT}", row=row, field=field, code="unmatched")
            return Lookup("type", text, "", "unmatched", reason=reason)
        mapped = self._mapped(text)
        if mapped is not None:
            return mapped
        found = self._matcher.match(text)
        if found.status == "matched" and found.code is not None:
            return Lookup("type", text, "", "matched", "name", found.code, self._names[found.code])
        return self._refused(found, problems, row, field)

    def _mapped(self, text: str) -> Lookup | None:
        entry = self._mapping.find("type", [""], text) if self._mapping.entries else None
        if entry is None:
            return None
        if entry.skips:
            reason = entry.why_skipped(self._mapping.file)
            return Lookup("type", text, "", "skipped", "mapping", reason=reason)
        if entry.code not in self._names:  # reported by ``check_mapping``
            reason = f"{self._mapping.file}, row {entry.row} names type code '{entry.code}', "
            return Lookup("type", text, "", "unmatched", reason=reason + "which is not known")
        return Lookup("type", text, "", "matched", "mapping", entry.code, self._names[entry.code])

    def _refused(self, found: TypeMatch, problems: Problems, row: int, field: str | None) -> Lookup:
        suggestions = tuple((s.code, s.name_vi, s.score) for s in found.suggestions)
        hint = ""
        if suggestions:
            listed = ", ".join(
                f"'{name}' ({code}, score {score:.0f})" for code, name, score in suggestions
            )
            hint = f"; did you mean {listed}?"
        if found.status == "ambiguous":
            candidates = tuple((code, self._names.get(code, "")) for code in found.candidates)
            listed = ", ".join(f"{code} ({name})" for code, name in candidates)
            problems.error(
                f"model type '{found.text}' names several types: {listed}; choose one in a "
                "mapping file",
                row=row,
                field=field,
                code="ambiguous",
            )
            return Lookup(
                "type", found.text, "", "ambiguous", candidates=candidates, suggestions=suggestions
            )
        problems.error(
            f"unknown model type '{found.text}'; {CATALOGUE_HINT}{hint}",
            row=row,
            field=field,
            code="unmatched",
        )
        return Lookup("type", found.text, "", "unmatched", suggestions=suggestions)
