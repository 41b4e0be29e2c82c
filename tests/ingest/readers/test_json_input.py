"""Malformed JSON from users is a 422 or an error line naming the file, never a 500 or a
traceback (issue 10, item 13): lineage lists, and reviewed match reports used as mappings,
whether their shape is wrong or their nesting is 200,000 deep."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.imports.pipeline import import_lineage
from geo_service.ingest.report import ImportRejected
from geo_service.store import Store
from tests.paths import TEST_DATA
from tests.tree_digest import tree_digest
from tests.uploading import upload_settings, writer

runner = CliRunner()
DEEP = "[" * 200_000 + "]" * 200_000
REGISTER = TEST_DATA / "registers" / "messy_register.csv"


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def store(demo_copy_path: Path) -> Path:
    return demo_copy_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"data":["x"]}', "field 'data[0]': not a lineage JSON list"),
        (DEEP, "row 1: not valid JSON: depth limit exceeded (line 1, column 1026)"),
        ('{"data":' + DEEP + "}", "row 1: not valid JSON: depth limit exceeded"),
        ('{"data": [\n', "row 2: not valid JSON: unexpected end of data"),
    ],
)
def test_malformed_lineage_json_is_an_error_line_naming_the_file(
    store: Path, tmp_path: Path, text: str, expected: str
) -> None:
    lineage = tmp_path / "lineage.json"
    lineage.write_text(text, encoding="utf-8")
    before = tree_digest(store.parent)
    code, output = invoke("import", "lineage", str(lineage), "--store", str(store))
    assert code == 2, output
    assert f"error: lineage.json, {expected}" in output
    assert "Traceback" not in output and "the store was not changed" in output
    assert tree_digest(store.parent) == before


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        ({"data": {"level1_id": "01"}}, "data", "should be a list […], not an object"),
        ([], None, "should be an object {…}, not a list"),
        ({"rows": []}, "data", "is missing"),
        ({"data": [{"level1_id": "01", "splits": "x"}]}, "data[0].splits", "should be a list"),
        (
            {"data": [{"level1_id": "01", "level3s": [{"level3_id": "7", "merges": [{}]}]}]},
            "data[0].level3s[0].merges[0].old_id",
            "is missing",
        ),
        (
            {"data": [{"level1_id": "01", "level3s": [{"splits": [{"new_id": None}]}]}]},
            "data[0].level3s[0].splits[0].new_id",
            "should be text in quotes",
        ),
    ],
)
def test_a_lineage_list_of_the_wrong_shape_names_the_place(
    demo_store: Store, tmp_path: Path, document: object, field: str | None, message: str
) -> None:
    lineage = tmp_path / "links.json"
    lineage.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_lineage(demo_store, lineage)
    problems = caught.value.report.errors
    assert any(p.field == field and message in p.message for p in problems), problems
    assert all(p.file == "links.json" for p in problems)


def test_codes_given_as_numbers_are_refused_they_lost_their_zeros(
    demo_store: Store, tmp_path: Path
) -> None:
    document = {"data": [{"level1_id": "22", "level2s": [{"level2_id": 7054}]}]}
    lineage = tmp_path / "links.json"
    lineage.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_lineage(demo_store, lineage)
    (problem,) = caught.value.report.errors
    assert problem.field == "data[0].level2s[0].level2_id"
    assert 'should be text in quotes, such as "07054"' in problem.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEEP, "error: review.json, row 1: not valid JSON: depth limit exceeded"),
        ('{"rows": 5}', "error: review.json, field 'rows': not a match report"),
        ('{"rows": [1]}', "field 'rows[0]': not a match report written by --report: should be"),
        ('{"rows": [{"commune": []}]}', "field 'rows[0].commune': not a match report"),
    ],
)
def test_a_malformed_mapping_is_an_error_line_naming_it(
    store: Path, tmp_path: Path, text: str, expected: str
) -> None:
    mapping = tmp_path / "review.json"
    mapping.write_text(text, encoding="utf-8")
    before = tree_digest(store.parent)
    code, output = invoke(
        "import", "models", str(REGISTER), "--mapping", str(mapping), "--store", str(store)
    )
    assert code == 2, output
    assert expected in output and "Traceback" not in output
    assert tree_digest(store.parent) == before


@pytest.fixture
def uploads(store: Path) -> Iterator[TestClient]:
    with writer(upload_settings(store, max_upload_bytes=2**20)) as client:
        yield client


@pytest.mark.parametrize("text", ['{"data":["x"]}', DEEP, "{}", "null"])
def test_uploaded_lineage_json_that_is_malformed_answers_422(
    uploads: TestClient, store: Path, text: str
) -> None:
    before = tree_digest(store.parent)
    response = uploads.post(
        "/api/imports/lineage", files={"file": ("links.json", text.encode("utf-8"))}
    )
    assert response.status_code == 422, response.text
    (error, *_) = response.json()["report"]["errors"]
    assert error["file"] == "links.json"
    assert tree_digest(store.parent) == before


@pytest.mark.parametrize("text", [DEEP, '{"rows": {"a": 1}}', "[1, 2]"])
def test_an_uploaded_mapping_that_is_malformed_answers_422(
    uploads: TestClient, store: Path, text: str
) -> None:
    before = tree_digest(store.parent)
    response = uploads.post(
        "/api/imports/models",
        files={
            "file": (REGISTER.name, REGISTER.read_bytes()),
            "mapping": ("review.json", text.encode("utf-8")),
        },
    )
    assert response.status_code == 422, response.text
    (error, *_) = response.json()["report"]["errors"]
    assert error["file"] == "review.json"
    assert tree_digest(store.parent) == before
