"""The shared seed boundary file, whose Phường Sơn Đông has no code, imports through the
command line: on the demo store by its name, on a fresh store by a reviewed mapping."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import geopandas as gpd
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import UnitQuery, open_store
from tests.paths import TEST_DATA

SEED = TEST_DATA / "boundaries" / "seed_districts_communes_2008.geojson"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def son_dong(store: Path) -> list[tuple[str, str]]:
    units = open_store(str(store)).units(UnitQuery(codes=("09613",), with_geometry=False))
    return list(zip(units["name"], units["parent_code"], strict=True))


def test_the_seed_file_imports_into_the_demo_store_by_name(demo_gpkg: Path, tmp_path: Path) -> None:
    store = tmp_path / "demo.gpkg"
    shutil.copy(demo_gpkg, store)
    code, output = invoke("import", "boundaries", str(SEED), "--store", str(store), "--dry-run")
    assert code == 0, output
    flat = " ".join(output.split())
    assert "row 67, field 'gso_commune_code_2019': 'Phường Sơn Đông' (parent 269" in flat
    assert "took 09613, the stored commune 'Phường Sơn Đông', matched by name" in flat
    assert "would import" in flat
    code, output = invoke("import", "boundaries", str(SEED), "--store", str(store))
    assert code == 0, output
    assert son_dong(store) == [("Phường Sơn Đông", "269")]


def test_the_seed_file_imports_into_a_fresh_store_through_a_mapping(tmp_path: Path) -> None:
    store = tmp_path / "fresh.gpkg"
    # A fresh store needs the seed file's provinces and districts first (its parent codes).
    units = gpd.read_file(DEMO_DATA_DIR / "units_pre2025.geojson")
    parents = tmp_path / "parents.geojson"
    units[units["level"] < 3].to_file(parents, driver="GeoJSON")
    assert invoke("import", "boundaries", str(parents), "--store", str(store))[0] == 0
    template = tmp_path / "review.csv"
    args = ("import", "boundaries", str(SEED), "--store", str(store))
    code, output = invoke(*args, "--dry-run", "--mapping-template", str(template))
    assert code == 2
    flat = " ".join(output.split())
    assert "row 67, field 'gso_commune_code_2019': 'Phường Sơn Đông' has no code" in flat
    assert f"wrote {template}: 1 name(s) to review" in flat
    with template.open(encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["kind"], r["parent_code"], r["given_name"], r["rows"]) for r in rows] == [
        ("commune", "269", "Phường Sơn Đông", "67")
    ]
    rows[0]["code"] = "09613"
    with template.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, output = invoke(*args, "--mapping", str(template))
    assert code == 0, output
    flat = " ".join(output.split())
    assert "took 09613 from review.csv row 2: a new code, not in the store" in flat
    assert "75 new" in flat
    assert son_dong(store) == [("Phường Sơn Đông", "269")]


def test_on_an_empty_store_the_seed_file_is_refused_and_no_store_is_made(tmp_path: Path) -> None:
    store = tmp_path / "empty.gpkg"
    template = tmp_path / "review.csv"
    code, output = invoke(
        "import",
        "boundaries",
        str(SEED),
        "--store",
        str(store),
        "--mapping-template",
        str(template),
    )
    assert code == 2
    assert "the store was not changed" in output and not store.exists()
    with template.open(encoding="utf-8-sig") as stream:
        assert [r["given_name"] for r in csv.DictReader(stream)] == ["Phường Sơn Đông"]


def test_a_bad_mapping_is_refused_on_the_command_line(demo_gpkg: Path, tmp_path: Path) -> None:
    store = tmp_path / "demo.gpkg"
    shutil.copy(demo_gpkg, store)
    mapping = tmp_path / "m.csv"
    mapping.write_text(
        "kind,parent_code,given_name,code\ncommune,269,Phường Nào,09999\n", encoding="utf-8"
    )
    before = store.read_bytes()
    code, output = invoke(
        "import", "boundaries", str(SEED), "--store", str(store), "--mapping", str(mapping)
    )
    assert code == 2
    flat = " ".join(output.split())
    assert (
        "m.csv, row 2, field 'given_name': no row of seed_districts_communes_2008.geojson" in flat
    )
    assert store.read_bytes() == before


def test_on_an_empty_store_a_mapping_gives_a_parentless_ward_its_code(tmp_path: Path) -> None:
    ward = tmp_path / "ward.csv"
    ward.write_text(
        "ma_xa,ten,wkt\n,Phường Sơn Đông,"
        '"POLYGON ((105.45 21.1, 105.46 21.1, 105.46 21.11, 105.45 21.1))"\n',
        encoding="utf-8",
    )
    mapping = tmp_path / "m.csv"
    mapping.write_text(
        "kind,parent_code,given_name,code\ncommune,,Phường Sơn Đông,09613\n", encoding="utf-8"
    )
    store = tmp_path / "empty.gpkg"
    code, output = invoke(
        "import", "boundaries", str(ward), "--store", str(store), "--mapping", str(mapping)
    )
    assert code == 0, output
    assert "took 09613 from m.csv row 2: a new code, not in the store" in " ".join(output.split())
    assert son_dong(store) == [("Phường Sơn Đông", None)]
