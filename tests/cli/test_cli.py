"""The command line, used the way a person would: real files in, real store out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyogrio
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.settings import DEMO_DATA_DIR

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_import_pipeline_from_files_to_coverage(tmp_path: Path) -> None:
    store = str(tmp_path / "cli.gpkg")
    for kind, name in [
        ("boundaries", "units_pre2025.geojson"),
        ("boundaries", "units_2025.geojson"),
        ("lineage", "lineage_2025.csv"),
    ]:
        code, output = invoke("import", kind, str(DEMO_DATA_DIR / name), "--store", store)
        assert code == 0, output
    code, output = invoke(
        "villages",
        "derive",
        str(DEMO_DATA_DIR / "village_points.csv"),
        "--store",
        store,
        "-o",
        str(tmp_path / "villages.gpkg"),
        "--import",
        "--as-of",
        "2025-06-30",
    )
    assert code == 0, output
    derived = pyogrio.read_dataframe(tmp_path / "villages.gpkg")
    assert len(derived) == 41
    assert set(derived["geometry_quality"]) == {"approximate"}
    register = DEMO_DATA_DIR.parent / "registers" / "demo_models.csv"
    code, output = invoke("import", "models", str(register), "--store", store)
    assert code == 0, output
    code, output = invoke(
        "coverage", "--store", store, "--unit", "264", "--as-of", "2025-06-30", "--json"
    )
    assert code == 0, output
    rows = {row["code"]: row for row in json.loads(output)}
    assert (rows["09496"]["villages_covered"], rows["09496"]["villages_total"]) == (8, 8)


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    store = str(tmp_path / "dry.gpkg")
    code, output = invoke(
        "import",
        "boundaries",
        str(DEMO_DATA_DIR / "units_pre2025.geojson"),
        "--store",
        store,
        "--dry-run",
    )
    assert code == 0 and "would import" in output
    assert not Path(store).exists()
    code, output = invoke("coverage", "--store", store, "--json")
    assert code == 2 and f"no store at {store}" in output


def test_rejected_import_exits_2_and_names_file_row_field(tmp_path: Path) -> None:
    store = str(tmp_path / "bad.gpkg")
    invoke("import", "boundaries", str(DEMO_DATA_DIR / "units_pre2025.geojson"), "--store", store)
    bad = tmp_path / "bad.csv"
    bad.write_text("Mã mô hình,Loại mô hình,Mã xã\nX1,patrol_team,77777\n", encoding="utf-8")
    code, output = invoke("import", "models", str(bad), "--store", store)
    assert code == 2
    assert "bad.csv, row 2, field 'Mã xã'" in output
    assert "store was not changed" in output


def test_unknown_unit_and_bad_date_are_clear_errors(tmp_path: Path) -> None:
    store = str(tmp_path / "e.gpkg")
    invoke("import", "boundaries", str(DEMO_DATA_DIR / "units_pre2025.geojson"), "--store", store)
    code, output = invoke("coverage", "--store", store, "--unit", "00000")
    assert code == 2 and "no unit with code '00000'" in output
    code, output = invoke("coverage", "--store", store, "--as-of", "30/06/2025")
    assert code == 2 and "not an ISO date" in output


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("geo-service")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("serve", "import", "villages", "coverage", "map"):
        assert command in result.stdout


def test_imports_list_and_undo(tmp_path: Path) -> None:
    store = str(tmp_path / "undo.gpkg")
    invoke("import", "boundaries", str(DEMO_DATA_DIR / "units_pre2025.geojson"), "--store", store)
    invoke("import", "boundaries", str(DEMO_DATA_DIR / "units_2025.geojson"), "--store", store)
    code, output = invoke("imports", "list", "--store", store, "--json")
    assert code == 0
    assert [row["file_name"] for row in json.loads(output)] == [
        "units_pre2025.geojson",
        "units_2025.geojson",
    ]
    code, output = invoke("imports", "undo", "1", "--store", store)
    assert code == 2 and "only the latest import (#2)" in output
    code, output = invoke("imports", "undo", "--store", store)
    assert code == 0 and "undid import #2" in output
    code, output = invoke("coverage", "--store", store, "--level", "1", "--json")
    assert json.loads(output) == []  # the post-2025 units are gone again
    code, output = invoke(
        "coverage", "--store", store, "--level", "1", "--json", "--as-of", "2025-06-30"
    )
    assert {row["code"] for row in json.loads(output)} == {"01", "22", "27", "38", "45"}
