"""A lineage CSV that is not what it should be is an error line naming the file and the
row, never a pandas traceback (found beside issue 10, item 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.imports.pipeline import import_lineage
from geo_service.ingest.report import ImportRejected
from geo_service.store import Store
from tests.tree_digest import tree_digest
from tests.uploading import upload_settings, writer

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("old_code\n07057\n", "links.csv, row 1, field 'new_code': missing column 'new_code'"),
        ("\n\n", "links.csv: no header row: expected old_code,new_code,kind,effective"),
        (
            "old_code,new_code,kind,effective\n07057,07054,full,2025-07-01,x,y\n",
            "links.csv, row 2: the row has 6 cells, the header 4",
        ),
        (
            'old_code,new_code,kind,effective\n"07057,07054,full,2025-07-01\n',
            "links.csv, row 2, field 'new_code': code is empty",
        ),
    ],
)
def test_a_malformed_lineage_csv_is_an_error_naming_file_and_row(
    demo_copy_path: Path, tmp_path: Path, text: str, expected: str
) -> None:
    store = demo_copy_path
    links = tmp_path / "links.csv"
    links.write_text(text, encoding="utf-8")
    before = tree_digest(store.parent)
    result = runner.invoke(app, ["import", "lineage", str(links), "--store", str(store)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert tree_digest(store.parent) == before
    with writer(upload_settings(store)) as client:
        response = client.post(
            "/api/imports/lineage", files={"file": ("links.csv", text.encode("utf-8"))}
        )
    assert response.status_code == 422, response.text
    assert tree_digest(store.parent) == before


def test_blank_lines_are_skipped_and_rows_keep_their_numbers(
    demo_store: Store, tmp_path: Path
) -> None:
    links = tmp_path / "links.csv"
    links.write_text(
        "old_code,new_code,kind,effective\n\n07057,07054,full,2025-07-01\n", encoding="utf-8"
    )
    import_lineage(demo_store, links)
    lineage = demo_store.lineage()
    assert ("07057", "07054") in set(zip(lineage["old_code"], lineage["new_code"], strict=True))
    links.write_text(
        "old_code,new_code,kind,effective\n\n07057,07054,merged,2025-07-01\n", encoding="utf-8"
    )
    with pytest.raises(ImportRejected, match="row 3, field 'kind'"):
        import_lineage(demo_store, links)
