"""A store comes into being with its first import, and nothing else writes to the disk:
dry runs, refused imports, reading commands and a server over a new path leave every
file (and folder) as it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo_service.app import create_app
from geo_service.cli.main import app
from geo_service.imports.demo import DEMO_REGISTER
from geo_service.settings import DEMO_DATA_DIR, Settings
from geo_service.store import open_store
from tests.paths import TEST_DATA
from tests.tree_digest import tree_digest

BAD = TEST_DATA / "bad"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def no_store_message(store: Path) -> str:
    return f"no store at {store}; import boundaries first, or run `geo-service demo`"


def test_refused_dry_run_of_a_register_writes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "new.gpkg"
    before = tree_digest(tmp_path)
    register = BAD / "registers" / "unknown_commune_code.csv"
    code, output = invoke("import", "models", str(register), "--dry-run", "--store", str(store))
    assert code == 2 and "would be rejected" in output
    code, output = invoke("import", "models", str(register), "--store", str(store))
    assert code == 2 and "rejected" in output
    assert tree_digest(tmp_path) == before
    code, output = invoke("imports", "list", "--store", str(store))
    assert code == 2 and no_store_message(store) in output


def test_dry_run_and_refused_boundaries_write_nothing(tmp_path: Path) -> None:
    store = str(tmp_path / "new.gpkg")
    before = tree_digest(tmp_path)
    good = str(DEMO_DATA_DIR / "units_pre2025.geojson")
    code, output = invoke("import", "boundaries", good, "--dry-run", "--store", store)
    assert code == 0 and "would import" in output
    bad = str(BAD / "boundaries" / "missing_name.geojson")
    code, output = invoke("import", "boundaries", bad, "--store", store)
    assert code == 2 and "missing name" in output
    lineage = str(DEMO_DATA_DIR / "lineage_2025.csv")
    code, output = invoke("import", "lineage", lineage, "--dry-run", "--store", store)
    assert code == 0 and "would import" in output
    assert tree_digest(tmp_path) == before


def test_reading_commands_need_a_store_and_create_none(tmp_path: Path) -> None:
    store = tmp_path / "nonexistent" / "dir" / "x.gpkg"
    points = str(DEMO_DATA_DIR / "village_points.csv")
    before = tree_digest(tmp_path)
    for args in (
        ["coverage"],
        ["coverage", "--unit", "09496", "--json"],
        ["map", "-o", str(tmp_path / "map.html")],
        ["imports", "list"],
        ["imports", "list", "--json"],
        ["imports", "undo"],
        ["villages", "derive", points, "-o", str(tmp_path / "villages.gpkg")],
        ["villages", "derive", points, "--dry-run"],
    ):
        code, output = invoke(*args, "--store", str(store))
        assert code == 2, (args, output)
        assert no_store_message(store) in output, args
        assert "Traceback" not in output
    assert tree_digest(tmp_path) == before


def test_first_import_creates_the_store_and_its_folder(tmp_path: Path) -> None:
    store = tmp_path / "new" / "dir" / "x.gpkg"
    units = str(DEMO_DATA_DIR / "units_pre2025.geojson")
    code, output = invoke("import", "boundaries", units, "--store", str(store))
    assert code == 0 and "imported (import #1)" in output
    code, output = invoke("imports", "list", "--store", str(store), "--json")
    assert code == 0 and [row["file_name"] for row in json.loads(output)] == [
        "units_pre2025.geojson"
    ]


def test_the_catalogue_comes_with_the_first_register_in_one_import(
    demo_gpkg: Path, tmp_path: Path
) -> None:
    path = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    store = open_store(str(path))
    log = store.imports()
    assert log["kind"].tolist() == [
        "boundaries",
        "boundaries",
        "lineage",
        "former_names",
        "villages",
        "models",
    ]
    assert log["counts"].iloc[-1]["model_types"] == 16
    store.undo(int(log["id"].iloc[-1]))  # the register, and the catalogue with it
    assert store.model_types().empty
    before = tree_digest(tmp_path)
    code, output = invoke("import", "models", str(DEMO_REGISTER), "--dry-run", "--store", str(path))
    assert code == 0 and "would import" in output and "model_types: 16 new" in output
    assert tree_digest(tmp_path) == before
    code, output = invoke("import", "models", str(DEMO_REGISTER), "--store", str(path))
    assert code == 0 and "imported (import #7)" in output
    assert len(store.model_types()) == 16
    assert store.imports()["file_name"].tolist()[-1] == DEMO_REGISTER.name


def test_serving_a_new_path_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "later" / "store.gpkg"
    before = tree_digest(tmp_path)
    with TestClient(create_app(Settings(store_path=path))) as client:
        log = client.get("/api/imports").json()
        assert (log["count"], log["imports"], log["next"]) == (0, [], None)
        assert client.get("/api/model-types").status_code == 200
    assert tree_digest(tmp_path) == before


def test_a_new_store_reads_as_empty_without_existing(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "x.gpkg"))
    assert not store.exists() and store.is_empty() and store.generation() == 0
    assert store.units().empty and store.lineage().empty and store.teams().empty
    assert tree_digest(tmp_path) == {".": "dir"}


def test_a_file_that_is_not_a_store_is_an_error_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.gpkg"
    notes.write_text("not a database\n", encoding="utf-8")
    lineage = str(DEMO_DATA_DIR / "lineage_2025.csv")
    before = tree_digest(tmp_path)
    for args in (["coverage"], ["imports", "list"], ["import", "lineage", lineage]):
        code, output = invoke(*args, "--store", str(notes))
        assert code == 2 and f"{notes} is not a geo-service store" in output, args
        assert "Traceback" not in output
    code, output = invoke("imports", "list", "--store", str(tmp_path / "x.db"))
    assert code == 2 and "store_path must end in .gpkg" in output
    assert tree_digest(tmp_path) == before
