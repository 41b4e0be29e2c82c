"""Model-level cells of a register that are read by their words: the status, and the
further figures ("Chỉ số khác"), which may never carry personal data."""

from __future__ import annotations

from geo_service.ingest.readers.cells import Cell, cell_text, fold_header
from geo_service.ingest.readers.tables import Problems
from geo_service.ingest.registers.personal_data import find_personal_data, personal_key

STATUS_WORDS = {
    "active": ["hoat dong", "hoat dong hieu qua", "hieu qua", "dang hoat dong", "active"],
    "ineffective": ["kem hieu qua", "hoat dong kem hieu qua", "chua hieu qua", "ineffective"],
    "merged": ["sap nhap", "da sap nhap", "merged"],
    "dissolved": ["giai the", "da giai the", "ngung hoat dong", "dissolved"],
    "planned": ["du kien", "ke hoach", "chua ra mat", "planned"],
}


def status_of(value: Cell, problems: Problems, row: int, field: str | None) -> str:
    """A model's status from the words registers use ("Hoạt động", "Giải thể"…)."""
    folded = fold_header(cell_text(value))
    for status, words in STATUS_WORDS.items():
        if folded in words:
            return status
    problems.error(
        f"unknown status '{cell_text(value)}' (expected e.g. 'Hoạt động', 'Kém hiệu quả', "
        "'Đã sáp nhập', 'Giải thể')",
        row=row,
        field=field,
    )
    return "active"


def figures_of(value: Cell, problems: Problems, row: int, field: str | None) -> dict[str, float]:
    """Further figures, "name=number; …"; a figure that would be personal data is refused."""
    extra: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in cell_text(value).split(";"))):
        name, sep, number = part.partition("=")
        key = fold_header(name).replace(" ", "_")
        if refused := _personal_figure(key, number.strip()):
            problems.error(refused, row=row, field=field, code="personal_data")
            continue
        try:
            if not sep:
                raise ValueError
            extra[key] = float(number.strip().replace(",", "."))
        except ValueError:
            problems.error(f"'{part}' is not 'name=number'", row=row, field=field)
    return extra


def _personal_figure(key: str, number: str) -> str | None:
    """Why a figure is refused as personal data: its name ("sdt_to_truong"), or its value
    (a figure never starts with 0 or +, a phone or CCCD number does), else None."""
    if kind := personal_key(key):
        return (
            f"personal data is not accepted: the figure '{key}' is named like {kind}; "
            "figures are counts (names, phones and ID numbers belong in the members register)"
        )
    found = find_personal_data(number) if number.startswith(("0", "+")) else None
    return found.message() if found else None
