"""The 2025 reform's national lineage lists import as they are published."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from geo_service.coverage.reads import coverage_as_of
from geo_service.imports.pipeline import import_lineage
from geo_service.ingest.report import ImportRejected
from geo_service.settings import REPO_DIR, CoveragePolicy
from geo_service.store import Store

EXCERPTS = REPO_DIR / "tests" / "data" / "lineage"


@pytest.mark.parametrize(
    ("name", "names_units_elsewhere"),
    [("old_to_new_excerpt.json", True), ("new_to_old_excerpt.json", False)],
)
def test_published_json_lists_import_and_keep_the_seed_links(
    demo_store: Store, name: str, names_units_elsewhere: bool
) -> None:
    outcome = import_lineage(demo_store, EXCERPTS / name)
    warned = any(w.code == "unknown_codes" for w in outcome.report.warnings)
    assert warned == names_units_elsewhere
    lineage = demo_store.lineage()
    assert len(lineage) > 88
    links = set(zip(lineage["old_code"], lineage["new_code"], strict=True))
    assert {("07057", "07054"), ("19357", "19360"), ("15772", "15796"), ("15772", "15835")} <= links
    kinds = lineage.set_index(["old_code", "new_code"])["kind"]
    assert kinds[("15772", "15796")] == "partial"
    after = coverage_as_of(demo_store, CoveragePolicy(), date(2026, 1, 1), "07054")
    assert after.result.rollups.set_index("code").loc["07054", "villages_covered"] == 3


def test_csv_lineage_rows_are_checked(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "lineage.csv"
    path.write_text(
        "old_code,new_code,kind,effective\n07057,07054,merged,2025-07-01\n07057,,full,1/7/2025\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        import_lineage(demo_store, path)
    messages = [str(p) for p in caught.value.report.errors]
    expected = "error: lineage.csv, row 2, field 'kind': kind 'merged' is not one of full, partial"
    assert expected in messages
    assert any("row 3, field 'new_code'" in m for m in messages)
    assert any("row 3, field 'effective'" in m for m in messages)


def test_json_that_is_not_a_lineage_list_is_rejected(demo_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(ImportRejected, match="not a lineage JSON list"):
        import_lineage(demo_store, path)
