"""Lineage codes are GSO codes (issue 10, item 14: codes are validated wherever they come
in): a formula or any other text in old_code/new_code is refused naming row and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_service.imports.pipeline import import_lineage
from geo_service.ingest.report import ImportRejected
from geo_service.store import Store


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('"=HYPERLINK(""http://example.invalid/x"",""x"")"', "07054", "old_code"),
        ("07057", "-2+3+cmd", "new_code"),
        ("7057", "07054", "old_code"),
        ("07057", "07054 ", "new_code"),
    ],
)
def test_a_lineage_code_that_is_not_a_gso_code_is_refused(
    demo_store: Store, tmp_path: Path, old: str, new: str, field: str
) -> None:
    path = tmp_path / "lineage.csv"
    path.write_text(
        "old_code,new_code,kind,effective\n"
        "07030,07030,full,2025-07-01\n"
        f"{old},{new},full,2025-07-01\n",
        encoding="utf-8",
    )
    before = demo_store.lineage()
    with pytest.raises(ImportRejected) as caught:
        import_lineage(demo_store, path)
    [problem] = caught.value.report.errors
    assert (problem.row, problem.field, problem.code) == (3, field, "invalid_code")
    assert "is not a GSO code" in problem.message
    assert demo_store.lineage().equals(before)
