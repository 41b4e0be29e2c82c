"""Site locations through the command line (issue 13, item 6): ``import models --crs``,
cameras counted per village, and the standalone map's camera markers behind the setting."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pyproj import CRS, Transformer
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.ingest.crs import vn2000_pipeline
from tests.camera_sites import THON_1, THON_4, camera_register

runner = CliRunner()
XY_HEADER = "Mã mô hình,Loại mô hình,Mã xã,Tên tổ,X,Y"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


@pytest.fixture
def store(demo_gpkg: Path, tmp_path: Path) -> str:
    path = tmp_path / "cli.gpkg"
    shutil.copy(demo_gpkg, path)
    return str(path)


def tm3_row(model: str, lon: float, lat: float) -> str:
    pipeline = Transformer.from_pipeline(vn2000_pipeline(CRS.from_epsg(9210).to_wkt()))
    easting, northing = pipeline.transform(lon, lat, direction="INVERSE")
    return f"{model},security_camera,07057,Camera,{easting:.3f},{northing:.3f}"


def cameras_per_village(store: str) -> dict[str, int]:
    code, output = invoke("coverage", "--store", store, "--unit", "07054", "--level", "4", "--json")
    assert code == 0, output
    return {row["code"]: row["cameras"] or 0 for row in json.loads(output)}


def test_vn2000_xy_with_crs_land_in_their_village(store: str, tmp_path: Path) -> None:
    register = tmp_path / "xy.csv"
    rows = [tm3_row("CAM-XY", *THON_4), tm3_row("CAM-XY", *THON_1), tm3_row("CAM-XY", *THON_1)]
    register.write_text("\n".join([XY_HEADER, *rows]) + "\n", encoding="utf-8")
    before = cameras_per_village(store)
    code, output = invoke("import", "models", str(register), "--store", store, "--crs", "9210")
    assert code == 0, output
    after = cameras_per_village(store)
    assert after["07057-004"] - before["07057-004"] == 1
    assert after["07057-001"] - before["07057-001"] == 2


def test_bad_points_exit_2_naming_file_row_field_and_change_nothing(
    store: str, tmp_path: Path
) -> None:
    register = tmp_path / "bad.csv"
    register.write_text(
        "Mã mô hình,Loại mô hình,Mã xã,Tên tổ,Kinh độ,Vĩ độ\n"
        f"CAM-B,security_camera,07057,Camera 1,{THON_1[1]},{THON_1[0]}\n"
        f"CAM-B,security_camera,07057,Camera 2,{THON_1[0]},\n",
        encoding="utf-8",
    )
    before = Path(store).read_bytes()
    code, output = invoke("import", "models", str(register), "--store", store)
    assert code == 2
    flat = " ".join(output.split())
    assert "bad.csv, row 2, field 'Kinh độ/Vĩ độ'" in flat and "swapped?" in flat
    assert "bad.csv, row 3, field 'Vĩ độ'" in flat
    code, output = invoke("import", "models", str(register), "--store", store, "--crs", "EPSG:1")
    assert code == 2 and "unknown CRS" in " ".join(output.split())
    assert Path(store).read_bytes() == before


def test_degrees_with_a_metric_crs_exit_2(store: str, tmp_path: Path) -> None:
    register = camera_register(tmp_path)
    code, output = invoke("import", "models", str(register), "--store", store, "--crs", "9210")
    flat = " ".join(output.split())
    assert code == 2 and "cameras.csv, row 2" in flat and "look like lon/lat degrees" in flat


def test_a_register_with_points_on_an_empty_store_is_refused(tmp_path: Path) -> None:
    store = str(tmp_path / "empty.gpkg")
    code, output = invoke("import", "models", str(camera_register(tmp_path)), "--store", store)
    assert code == 2 and "cameras.csv, row 2" in " ".join(output.split())
    assert not Path(store).exists()


def test_the_map_draws_clustered_cameras_only_when_the_setting_is_on(
    store: str, tmp_path: Path
) -> None:
    code, output = invoke("import", "models", str(camera_register(tmp_path)), "--store", store)
    assert code == 0, output
    shown, hidden = tmp_path / "on.html", tmp_path / "off.html"
    on = {"GEO_SERVICE_CAMERA_POINTS_PUBLIC": "true"}
    code, output = invoke("map", "-o", str(shown), "--unit", "07054", "--store", store, env=on)
    assert code == 0, output
    html = shown.read_text(encoding="utf-8")
    assert "L.markerClusterGroup" in html and html.count('"className": "camera-point"') == 3
    assert f"{THON_1[1]}, {THON_1[0]}" in html
    code, output = invoke("map", "-o", str(hidden), "--unit", "07054", "--store", store)
    assert code == 0, output
    html = hidden.read_text(encoding="utf-8")
    assert "camera-point" not in html and str(THON_1[0]) not in html
