"""Validation reports: every problem names the file, the row and the field.

An import collects problems into a ``ValidationReport``; any error rejects the whole
import before the store is touched, warnings are shown and kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, NoReturn, TypedDict, Unpack

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    file: str
    message: str
    row: int | None = None  # spreadsheet row (header = 1) or 1-based feature number
    field: str | None = None
    code: str = "invalid"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{self.severity}: {where}: {self.message}"


class Place(TypedDict, total=False):
    """Where a problem is: ``Problem.row`` and ``Problem.field``. Checks that report
    several problems at one place name it once (``report.error(message, **place)``)."""

    row: int | None
    field: str | None


class Details(Place, total=False):
    """A problem's place and kind (``code``: "invalid" for an error unless given,
    "warning" for a warning)."""

    code: str


_WARNING = Details(code="warning")


@dataclass
class ValidationReport:
    file: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, message: str, **details: Unpack[Details]) -> None:
        self.problems.append(Problem("error", self.file, message, **details))

    def warning(self, message: str, **details: Unpack[Details]) -> None:
        self.problems.append(Problem("warning", self.file, message, **(_WARNING | details)))

    def part(self, file: str) -> ValidationReport:
        """A report for one part of the file (a sheet, a side file) that adds its problems
        to this one, labelled with ``file`` (e.g. "register.xlsx [Tổ]")."""
        return ValidationReport(file, self.problems)

    def extend(self, other: ValidationReport) -> None:
        self.problems.extend(other.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ImportRejected(self)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "ok": self.ok,
            "errors": [asdict(p) for p in self.errors],
            "warnings": [asdict(p) for p in self.warnings],
        }

    def summary(self, limit: int = 20) -> str:
        lines = [str(p) for p in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"... and {len(self.errors) - limit} more errors")
        return "\n".join(lines)


class ImportRejected(Exception):
    """Raised when a file fails validation; the store has not been changed."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.summary() or f"{report.file}: rejected")


def reject(
    file: str, message: str, *, row: int | None = None, field: str | None = None
) -> NoReturn:
    """Reject a whole file at once (e.g. unreadable): raise with a one-problem report."""
    report = ValidationReport(file)
    report.error(message, row=row, field=field)
    raise ImportRejected(report)
